/**
 * VpnSidecar's side of Docker: the Host's client (a Host without a Docker endpoint stalls the resource), and
 * what a container looks like to its plan, as plain data (env values reduced to hashes on the spot). The
 * generic calls (inspect, start, stop, remove, pull, unreachable-engine errors) are the host layer's; the id an
 * image reference points to is read here (`pull: always` follows it).
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { dockerStatusCode, isHostError, isLocalDockerSocket, type Host } from '../host/index.js';
import { StalledError } from '../core/contract.js';
import { LABELS, parseFieldHashes } from './labels.js';
import type { ContainerStatus, HealthStatus, ObservedContainer } from './model.js';
import type { VpnSidecarStallReason } from './reasons.js';
import { sha256 } from './secrets.js';

/** The Host's Docker client; a Host without a Docker endpoint is a spec problem (Stalled). */
export function dockerOf(host: Host): Docker {
  try {
    return host.docker();
  } catch (err) {
    if (isHostError(err, 'ENOENT')) throw new StalledError<VpnSidecarStallReason>('NoDockerEndpoint', `${err.message}; VpnSidecar needs one`);
    throw err;
  }
}

/**
 * True when the engine runs on the Host's machine, so that its process ids are that machine's: a Unix socket on
 * this machine for the local Host, or the remote engine's socket forwarded over an SSH Host's connection (the host
 * layer's forwarding agent). A TCP endpoint may be anywhere.
 */
export function engineOnHostMachine(host: Host, docker: Docker): boolean {
  if (isLocalDockerSocket(docker)) return host.transport === 'local';
  return host.transport === 'ssh' && (docker.modem as { agent?: unknown }).agent !== undefined;
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
    imageId: info.Image,
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

/** The id of the image `ref` names on the Docker host, or null when it has none. */
export async function localImageId(docker: Docker, ref: string, signal?: AbortSignal): Promise<string | null> {
  try {
    return (await docker.getImage(ref).inspect({ abortSignal: signal } as object)).Id;
  } catch (err) {
    if (dockerStatusCode(err) === 404) return null;
    throw err;
  }
}
