/**
 * Defaults shared by every CLI command: where manifests and state live, and how to reach a running daemon.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration } from '../../reconcilers/core/duration.js';
import { fail } from './exit.js';

export function defaultStateDir(): string {
  if (process.env.HOMEOSTAT_STATE_DIR) return process.env.HOMEOSTAT_STATE_DIR;
  if (process.getuid?.() === 0) return '/var/lib/homeostat';
  return join(homedir(), '.local', 'state', 'homeostat');
}

export interface CommonOptions {
  manifests: string;
  state: string;
}

export function resolveCommon(opts: Partial<CommonOptions>): CommonOptions {
  return { manifests: resolve(opts.manifests ?? 'manifests'), state: resolve(opts.state ?? defaultStateDir()) };
}

/** The URL of the daemon using this state directory, when one is running. */
export function daemonUrl(stateDir: string): string | null {
  const file = join(stateDir, 'daemon.json');
  if (!existsSync(file)) return null;
  try {
    const { pid, url } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; url: string };
    process.kill(pid, 0);
    return url;
  } catch {
    return null;
  }
}

/** `host:port` → parts; `9477` alone means 127.0.0.1:9477. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(value);
  if (!m) throw new Error(`--listen: expected HOST:PORT, got "${value}"`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

/** `--timeout` in milliseconds; a bad value ends the command with `code`. */
export function timeoutOption(value: string, code: number): number {
  const ms = parseDuration(value);
  if (ms === null || ms <= 0) fail(`--timeout: "${value}" is not a duration (e.g. 90s, 5m)`, code);
  return ms;
}
