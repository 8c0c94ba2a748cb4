/**
 * SFTP calls as promises, and SFTP status codes as errno-style codes. OpenSSH's sftp-server folds most
 * errnos (EEXIST, ENOTEMPTY, EXDEV, ...) into a generic FAILURE; callers turn that into a precise code by
 * looking at the paths involved (see `SshHost`).
 */
import type { SFTPWrapper } from 'ssh2';
import { errorMessage } from '../core/problem.js';

/** SSH_FX_* status codes (draft-ietf-secsh-filexfer-02). */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

export class SftpError extends Error {
  override readonly name = 'SftpError';
  constructor(
    /** errno-style: ENOENT, EACCES, FAILURE (ask further), ECONNECTION, EUNSUPPORTED, EIO. */
    readonly code: 'ENOENT' | 'EACCES' | 'FAILURE' | 'ECONNECTION' | 'EUNSUPPORTED' | 'EIO',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function toSftpError(err: unknown): SftpError {
  if (err instanceof SftpError) return err;
  const status = (err as { code?: unknown } | null)?.code;
  const message = errorMessage(err);
  switch (status) {
    case SFTP_STATUS.NO_SUCH_FILE:
      return new SftpError('ENOENT', message, { cause: err });
    case SFTP_STATUS.PERMISSION_DENIED:
      return new SftpError('EACCES', message, { cause: err });
    case SFTP_STATUS.FAILURE:
      return new SftpError('FAILURE', message, { cause: err });
    case SFTP_STATUS.OP_UNSUPPORTED:
      return new SftpError('EUNSUPPORTED', message, { cause: err });
    case SFTP_STATUS.NO_CONNECTION:
    case SFTP_STATUS.CONNECTION_LOST:
      return new SftpError('ECONNECTION', message, { cause: err });
  }
  if (/does not support/i.test(message)) return new SftpError('EUNSUPPORTED', message, { cause: err });
  if (typeof status !== 'number') return new SftpError('ECONNECTION', message, { cause: err });
  return new SftpError('EIO', message, { cause: err });
}

/** Runs one callback-style SFTP method as a promise; synchronous throws (unsupported extensions) reject. */
export function sftpCall<T = void>(sftp: SFTPWrapper, call: (s: SFTPWrapper, cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      call(sftp, (err, value) => (err ? reject(toSftpError(err)) : resolve(value as T)));
    } catch (err) {
      reject(toSftpError(err));
    }
  });
}
