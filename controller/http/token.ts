/**
 * The API token: 32 random bytes (base64url) in `<state>/api-token`, mode 0600, made by the controller at its
 * first start and kept across restarts. The CLI reads it from the same state directory. It is created
 * atomically (written and fsync'd under a temporary name, then hard-linked into place, so a reader never sees
 * a half-written file and two starters agree on one token), and no message ever contains it: errors name the
 * file, never its content.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { registerSecret } from '../../reconcilers/core/redact.js';

export const API_TOKEN_FILE = 'api-token';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The token file is missing, unreadable, not private, or not a token homeostat wrote. */
export class ApiTokenError extends Error {
  override readonly name = 'ApiTokenError';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

export function apiTokenPath(stateDir: string): string {
  return join(stateDir, API_TOKEN_FILE);
}

/** Reads the token of `stateDir` (the CLI, and the controller after creating it). */
export function readApiToken(stateDir: string): string {
  const file = apiTokenPath(stateDir);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ApiTokenError(file, 'no API token yet (`homeostat run` creates it at its first start)', { cause: err });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ApiTokenError(file, 'permission denied: run this as the user the controller runs as', { cause: err });
    }
    if (code === 'ELOOP') throw new ApiTokenError(file, 'is a symlink; refusing to follow it (delete it to make a new token)', { cause: err });
    throw new ApiTokenError(file, `cannot open: ${code ?? String(err)}`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ApiTokenError(file, 'is not a regular file');
    if ((st.mode & 0o077) !== 0) {
      throw new ApiTokenError(file, `mode ${(st.mode & 0o777).toString(8)} lets other users read it; \`chmod 600\` it, or delete it to make a new token`);
    }
    const uid = process.geteuid?.();
    if (uid !== undefined && uid !== 0 && st.uid !== uid) throw new ApiTokenError(file, `is owned by uid ${st.uid}, not by this user (uid ${uid})`);
    const token = readFileSync(fd, 'utf8').trim();
    if (!TOKEN.test(token)) throw new ApiTokenError(file, 'does not hold a token homeostat wrote; delete it to make a new one');
    registerSecret(`api-token:${file}`, token); // never in any message the process sends out
    return token;
  } finally {
    closeSync(fd);
  }
}

/** The controller's token: the one in `stateDir`, or a new one created there (0600) when there is none. */
export function ensureApiToken(stateDir: string): string {
  const file = apiTokenPath(stateDir);
  try {
    return readApiToken(stateDir);
  } catch (err) {
    if (!(err instanceof ApiTokenError) || (err.cause as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw err;
  }
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, randomBytes(32).toString('base64url') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file); // fails with EEXIST when another starter won: its token stands
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
  const dir = openSync(stateDir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return readApiToken(stateDir);
}

/** Whether an `Authorization` header carries `token`, compared in constant time (digests of equal length). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}
