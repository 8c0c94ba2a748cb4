/**
 * One guarded SSH operation: a deadline (`ETIMEDOUT`), an AbortSignal (`EABORTED`), and every failure turned
 * into a HostError naming the host path (SFTP status codes mapped to errno-style codes; HostErrors pass through).
 * Shared by the SFTP file operations, the remote helper's and the checked changes, with the type of the file
 * operations both file back ends implement.
 */
import { HostError, type Host } from './host.js';
import { SftpError } from './ssh-sftp.js';
import { errorMessage } from '../core/problem.js';

/** Runs `fn` as the operation `operation` on `hostPath` (undefined: none), guarded as above. */
export type GuardedOperation = <T>(operation: string, hostPath: string | undefined, fn: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

export function guardedOperation(hostName: string, timeoutMs: number): GuardedOperation {
  return async <T>(operation: string, hostPath: string | undefined, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    const where = hostPath === undefined ? '' : ` ${hostPath}`;
    if (signal?.aborted) throw new HostError('EABORTED', `${operation}${where}: aborted`, hostName, hostPath);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HostError('ETIMEDOUT', `${operation}${where}: timed out after ${timeoutMs} ms`, hostName, hostPath)),
        timeoutMs,
      );
      onAbort = () => reject(new HostError('EABORTED', `${operation}${where}: aborted`, hostName, hostPath));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(), guard]);
    } catch (err) {
      throw sshHostError(hostName, err, operation, hostPath);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  };
}

/** Any failure of an SSH operation as a HostError naming the host path. */
export function sshHostError(hostName: string, err: unknown, operation: string, hostPath?: string): HostError {
  if (err instanceof HostError) return err;
  const where = hostPath === undefined ? '' : ` ${hostPath}`;
  if (err instanceof SftpError) {
    const code = err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ECONNECTION' ? err.code : 'EIO';
    return new HostError(code, `${operation}${where}: ${code === 'EIO' ? err.message : code}`, hostName, hostPath, { cause: err });
  }
  return new HostError('EIO', `${operation}${where}: ${errorMessage(err)}`, hostName, hostPath, { cause: err });
}

/** The file half of `Host`, as the SSH transport implements it twice: over SFTP (no root) and through the helper. */
export type SshFileOperations = Pick<
  Host,
  'readFile' | 'readFileIfExists' | 'writeFileAtomic' | 'stat' | 'lstat' | 'isMountpoint' | 'mkdir' | 'readdir' | 'chown' | 'chmod' | 'link' | 'rename' | 'unlink' | 'rmdir'
>;
