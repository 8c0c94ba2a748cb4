/**
 * A network namespace a test creates (`ip netns add`), with its own loopback up and nothing else: a service
 * listening on 127.0.0.1 inside it cannot be reached from the test process, only from processes inside it.
 * `spawnInside` runs argv there (never a shell string); `remove()` kills what was started in it, by pid, and
 * deletes the namespace by name.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sleep } from './wait.js';

export interface TestNetns {
  name: string;
  spawnInside(argv: readonly string[]): ChildProcess;
  remove(): Promise<void>;
}

export function netnsAvailable(): boolean {
  return process.getuid?.() === 0 && (existsSync('/usr/sbin/ip') || existsSync('/usr/bin/ip'));
}

export function createNetns(name: string): TestNetns {
  execFileSync('ip', ['netns', 'add', name]);
  try {
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    execFileSync('ip', ['netns', 'delete', name]);
    throw err;
  }
  const started: ChildProcess[] = [];
  return {
    name,
    spawnInside(argv) {
      const proc = spawn('ip', ['netns', 'exec', name, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(proc);
      return proc;
    },
    async remove() {
      for (const proc of started) {
        if (proc.exitCode !== null || proc.signalCode !== null || !proc.pid) continue;
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
      execFileSync('ip', ['netns', 'delete', name]);
    },
  };
}
