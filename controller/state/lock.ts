/**
 * One controller per state directory: a lock file created with O_EXCL holding the owner's pid and hostname.
 * A lock left by a dead process on this machine is taken over; a live one (or one from another machine, when
 * the state directory is on shared storage) makes the second controller exit with a clear message.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export class StateLockError extends Error {
  override readonly name = 'StateLockError';
}

export interface StateLock {
  release(): void;
}

interface LockBody {
  pid: number;
  hostname: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireStateLock(stateDir: string): StateLock {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, 'controller.lock');
  const body: LockBody = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(body) + '\n');
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            const current = JSON.parse(readFileSync(path, 'utf8')) as LockBody;
            if (current.pid === body.pid && current.hostname === body.hostname) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: LockBody | null = null;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as LockBody;
      } catch {
        holder = null; // torn or empty: treat as stale
      }
      if (holder && (holder.hostname !== hostname() || alive(holder.pid))) {
        throw new StateLockError(
          `another homeostat controller (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}) is using the state directory ${stateDir}; ` +
            `stop it first, or give this one another --state`,
        );
      }
      try {
        unlinkSync(path);
      } catch {
        // someone else took it over; retry decides
      }
    }
  }
  throw new StateLockError(`could not take the lock ${path}`);
}
