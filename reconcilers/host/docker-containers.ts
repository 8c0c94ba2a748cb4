/**
 * Containers through a Host's Docker client, as small functions over dockerode that make the usual outcomes
 * plain: inspect by exact name or by id (null when there is none), start (already running is fine), graceful
 * stop (already stopped or gone is fine), and stop-and-remove, which always keeps the container's volumes.
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { dockerStatusCode } from './docker-errors.js';

/** The container with exactly this name, or null (Docker also resolves id prefixes: those do not count). */
export async function inspectContainerByName(docker: Docker, name: string, signal?: AbortSignal): Promise<ContainerInspectInfo | null> {
  const info = await inspectContainer(docker, name, signal);
  return info?.Name === `/${name}` ? info : null;
}

/** The container with this id (or name), or null. */
export async function inspectContainer(docker: Docker, id: string, signal?: AbortSignal): Promise<ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(id).inspect({ abortSignal: signal } as object);
  } catch (err) {
    if (dockerStatusCode(err) === 404) return null;
    throw err;
  }
}

/** Start; already running is fine. */
export async function startContainer(docker: Docker, id: string, signal?: AbortSignal): Promise<void> {
  try {
    await docker.getContainer(id).start({ abortSignal: signal } as object);
  } catch (err) {
    if (dockerStatusCode(err) !== 304) throw err;
  }
}

/** Graceful stop (the container's own stop timeout unless given); already stopped or gone is fine. */
export async function stopContainer(docker: Docker, id: string, opts: { timeoutSeconds?: number; signal?: AbortSignal } = {}): Promise<void> {
  try {
    await docker.getContainer(id).stop({ ...(opts.timeoutSeconds !== undefined ? { t: opts.timeoutSeconds } : {}), abortSignal: opts.signal } as object);
  } catch (err) {
    const code = dockerStatusCode(err);
    if (code !== 304 && code !== 404) throw err;
  }
}

/** Stop gracefully, then remove the container, keeping its volumes (`v: false`). Gone already is fine. */
export async function stopAndRemoveContainer(docker: Docker, id: string, signal?: AbortSignal): Promise<void> {
  await stopContainer(docker, id, { signal });
  try {
    await docker.getContainer(id).remove({ v: false, force: true, abortSignal: signal } as object);
  } catch (err) {
    const code = dockerStatusCode(err);
    // 409: removal already in progress.
    if (code !== 404 && code !== 409) throw err;
  }
}
