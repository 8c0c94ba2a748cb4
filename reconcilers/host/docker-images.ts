/**
 * Images through a Host's Docker client: whether one is present, and pulling one (following the progress
 * stream to its end, so that a failure is Docker's own message).
 */
import type Docker from 'dockerode';
import { dockerStatusCode } from './docker-errors.js';

export async function imagePresent(docker: Docker, ref: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect({ abortSignal: signal } as object);
    return true;
  } catch (err) {
    if (dockerStatusCode(err) === 404) return false;
    throw err;
  }
}

/** Pulls an image; rejects with Docker's message when it cannot (unknown image, no registry). */
export async function pullImage(docker: Docker, ref: string, signal?: AbortSignal): Promise<void> {
  const stream = await docker.pull(ref, { abortSignal: signal });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}
