/**
 * What a failed Docker call means: a transport failure (no socket, connection refused or reset, a timeout, no
 * route) becomes a `DockerUnreachableError` that names the Host and the endpoint instead of a socket errno, with
 * the reason `DockerUnreachable` (what Ready shows while it is retried); anything the engine itself answered
 * passes through, its HTTP status readable with `dockerStatusCode`.
 */
import type Docker from 'dockerode';

const UNREACHABLE: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
]);

/** The Host's Docker engine cannot be reached; worth retrying (a dockerd restart, a network blip). */
export class DockerUnreachableError extends Error {
  override readonly name = 'DockerUnreachableError';
  readonly reason = 'DockerUnreachable';

  constructor(
    readonly hostName: string,
    /** Where the client talks to: a socket path or `host:port`. */
    readonly endpoint: string,
    /** The transport error's code, e.g. `ENOENT`, `ECONNREFUSED`. */
    readonly errno: string,
    options?: { cause?: unknown },
  ) {
    super(`Docker on Host "${hostName}" is unreachable at ${endpoint} (${errno}); nothing was changed`, options);
  }
}

export function isDockerUnreachable(err: unknown): err is DockerUnreachableError {
  return err instanceof DockerUnreachableError;
}

/** Rewrites a transport failure into a `DockerUnreachableError`; every other error passes through as it is. */
export function explainDockerError(hostName: string, docker: Docker, err: unknown): unknown {
  if (err instanceof DockerUnreachableError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return new DockerUnreachableError(hostName, dockerEndpointOf(docker), code, { cause: err });
  return err;
}

/** The HTTP status the engine answered with (404: no such container, 304: already so), if it answered. */
export function dockerStatusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

/** Where a client talks to, for messages: its socket path, or `host:port`. */
export function dockerEndpointOf(docker: Docker): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number };
  return modem.socketPath ?? `${modem.host}:${modem.port}`;
}

/** True when the engine is on this machine (a Unix socket), so its process ids are this machine's. */
export function isLocalDockerSocket(docker: Docker): boolean {
  return typeof (docker.modem as { socketPath?: unknown }).socketPath === 'string';
}
