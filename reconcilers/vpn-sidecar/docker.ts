/**
 * The Docker calls VpnSidecar makes, as small functions over dockerode: inspect by exact name, what a
 * container looks like as plain data (env values reduced to hashes on the spot), pull, create, start,
 * graceful stop and remove (never volumes), and errors that say what happened ("Docker on Host x is
 * unreachable") instead of a socket errno.
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { isHostError, type Host } from '../host/host.js';
import { StalledError } from '../core/contract.js';
import { LABELS, parseFieldHashes } from './labels.js';
import type { ContainerStatus, HealthStatus, ObservedContainer } from './model.js';
import { sha256 } from './secrets.js';

/** The Host's Docker client; a Host without a Docker endpoint is a spec problem (Stalled). */
export function dockerOf(host: Host): Docker {
  try {
    return host.docker();
  } catch (err) {
    if (isHostError(err, 'ENOENT')) throw new StalledError('NoDockerEndpoint', `${err.message}; VpnSidecar needs one`);
    throw err;
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Where a client talks to, for messages. */
export function endpointOf(docker: Docker): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number };
  return modem.socketPath ?? `${modem.host}:${modem.port}`;
}

/** True when the Docker engine is on this machine (a Unix socket), so its process ids are this machine's. */
export function isLocalSocket(docker: Docker): boolean {
  return typeof (docker.modem as { socketPath?: unknown }).socketPath === 'string';
}

/** Rewrites a transport failure into "Docker on Host x is unreachable"; other errors pass through. */
export function explainDockerError(hostName: string, docker: Docker, err: unknown): unknown {
  const code = (err as { code?: string } | null)?.code;
  if (code && UNREACHABLE.has(code)) {
    return new Error(`Docker on Host "${hostName}" is unreachable at ${endpointOf(docker)} (${code}); nothing was changed`, { cause: err });
  }
  return err;
}

export function statusCodeOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

/** The container with exactly this name, or null (Docker also resolves id prefixes: those do not count). */
export async function inspectByName(docker: Docker, name: string, signal?: AbortSignal): Promise<ContainerInspectInfo | null> {
  try {
    const info = await docker.getContainer(name).inspect({ abortSignal: signal } as object);
    return info.Name === `/${name}` ? info : null;
  } catch (err) {
    if (statusCodeOf(err) === 404) return null;
    throw err;
  }
}

export async function inspectById(docker: Docker, id: string, signal?: AbortSignal): Promise<ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(id).inspect({ abortSignal: signal } as object);
  } catch (err) {
    if (statusCodeOf(err) === 404) return null;
    throw err;
  }
}

export async function imagePresent(docker: Docker, ref: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect({ abortSignal: signal } as object);
    return true;
  } catch (err) {
    if (statusCodeOf(err) === 404) return false;
    throw err;
  }
}

/** A container as plain data; environment values are hashed here and never leave this function. */
export function toObserved(info: ContainerInspectInfo): Omit<ObservedContainer, 'netns' | 'peer'> {
  const labels = info.Config?.Labels ?? {};
  const envHashes: Record<string, string> = {};
  for (const entry of info.Config?.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) envHashes[entry.slice(0, eq)] = sha256(entry.slice(eq + 1));
  }
  const health = (info.State.Health?.Status ?? 'none') as HealthStatus;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config?.Image ?? '',
    owner: labels[LABELS.owner] ?? null,
    role: labels[LABELS.role] ?? null,
    specHash: labels[LABELS.specHash] ?? null,
    fields: parseFieldHashes(labels[LABELS.specFields]),
    envHashes,
    status: info.State.Status as ContainerStatus,
    startedAt: info.State.StartedAt,
    health: health === ('' as HealthStatus) ? 'none' : health,
    networkMode: info.HostConfig?.NetworkMode ?? '',
    networks: Object.keys(info.NetworkSettings?.Networks ?? {}),
    volumes: (info.Mounts ?? [])
      .filter((m) => m.Type === 'volume' && m.Name)
      .map((m) => ({ name: m.Name!, destination: m.Destination, readOnly: !m.RW })),
    pid: info.State.Pid ?? 0,
  };
}

/** Pulls an image; rejects with Docker's message when it cannot (unknown image, no registry). */
export async function pullImage(docker: Docker, ref: string, signal?: AbortSignal): Promise<void> {
  const stream = await docker.pull(ref, { abortSignal: signal });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** Start; already running is fine. */
export async function startContainer(docker: Docker, id: string, signal?: AbortSignal): Promise<void> {
  try {
    await docker.getContainer(id).start({ abortSignal: signal } as object);
  } catch (err) {
    if (statusCodeOf(err) !== 304) throw err;
  }
}

/** Graceful stop (the container's own stop timeout); already stopped is fine. */
export async function stopContainer(docker: Docker, id: string, opts: { timeoutSeconds?: number; signal?: AbortSignal } = {}): Promise<void> {
  try {
    await docker.getContainer(id).stop({ ...(opts.timeoutSeconds !== undefined ? { t: opts.timeoutSeconds } : {}), abortSignal: opts.signal } as object);
  } catch (err) {
    const code = statusCodeOf(err);
    if (code !== 304 && code !== 404) throw err;
  }
}

/** Stop gracefully, then remove the container, keeping its volumes (`v: false`). Gone already is fine. */
export async function stopAndRemove(docker: Docker, id: string, signal?: AbortSignal): Promise<void> {
  await stopContainer(docker, id, { signal });
  try {
    await docker.getContainer(id).remove({ v: false, force: true, abortSignal: signal } as object);
  } catch (err) {
    const code = statusCodeOf(err);
    // 409: removal already in progress.
    if (code !== 404 && code !== 409) throw err;
  }
}
