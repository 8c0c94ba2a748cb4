/**
 * Turning platform errors (node errno errors, SFTP status codes) into `HostError`s whose message names the
 * *host* path, never the real path under a sandbox root.
 */
import { HostError, type HostErrorCode } from './host.js';
import { errorMessage } from '../core/problem.js';

const ERRNO_CODES: ReadonlySet<string> = new Set<HostErrorCode>([
  'ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EXDEV', 'EACCES', 'EPERM', 'ETIMEDOUT',
]);

/** The HostError code for an errno name; anything without its own code is `EIO`. */
export function hostErrorCode(errno: unknown): HostErrorCode {
  if (typeof errno === 'string' && ERRNO_CODES.has(errno)) return errno as HostErrorCode;
  if (errno === 'ABORT_ERR') return 'EABORTED';
  return 'EIO';
}

/** Wraps any thrown value as a HostError for an operation on `hostPath`; HostErrors pass through. */
export function toHostError(err: unknown, hostName: string, operation: string, hostPath?: string): HostError {
  if (err instanceof HostError) return err;
  const errno = (err as { code?: unknown } | null)?.code;
  const code = hostErrorCode(errno);
  const detail = typeof errno === 'string' ? errno : errorMessage(err);
  const where = hostPath === undefined ? '' : ` ${hostPath}`;
  return new HostError(code, `${operation}${where}: ${detail}`, hostName, hostPath, { cause: err });
}

export function abortedError(hostName: string, operation: string, hostPath?: string): HostError {
  const where = hostPath === undefined ? '' : ` ${hostPath}`;
  return new HostError('EABORTED', `${operation}${where}: aborted`, hostName, hostPath);
}

export function throwIfAborted(signal: AbortSignal | undefined, hostName: string, operation: string, hostPath?: string): void {
  if (signal?.aborted) throw abortedError(hostName, operation, hostPath);
}
