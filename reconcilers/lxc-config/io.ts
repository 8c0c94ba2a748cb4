/**
 * Reading and writing container configs through `Host`, safely:
 *
 * - a file over 1 MiB (pmxcfs' limit) or not valid UTF-8 is refused, never parsed half-way;
 * - a Proxmox config carrying `lock:` (backup, migrate, snapshot, ...) is never written;
 * - every write is compare-and-swap against the bytes that were read, and atomic (temp file + rename);
 * - on Proxmox the write happens under the flock `pct` itself takes (`/run/lock/lxc/pve-config-<vmid>.lock`),
 *   so it cannot interleave with a `pct set` or a start. Over SSH it is first tried in one request to the remote
 *   helper (`Host.tryWriteUnderLock`: flock LOCK_NB, compare, write, rename); when the lock is taken, or on a
 *   transport without that, it is one `flock ... sh -c SCRIPT` exec that waits for the lock: the lock is held
 *   only while the script compares the current bytes (sha256) and renames a temp file (`NAME.tmp.PID`, created
 *   with umask 027, so 0640, and never chmod'ed: pmxcfs refuses chmod) over the config. The script is a constant;
 *   paths and the hash are its arguments, the new content its stdin.
 * - plain LXC configs have no lock: `Host.writeFileAtomic` with `expected` (mode and owner kept).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { HostError, type Host } from '../host/index.js';
import { lockOf, parseConfig, type ConfigDocument } from './document.js';
import type { ConfigLocation } from './paths.js';

/** pmxcfs refuses files over 1 MiB; homeostat refuses to read or write one anywhere. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** How long to wait for pct's lock (pct itself waits 10 s). */
export const LOCK_TIMEOUT_SECONDS = 10;

export type ConfigErrorReason = 'ConfigTooLarge' | 'ConfigNotUtf8' | 'ConfigLocked' | 'ConfigLockTimeout' | 'ConfigWriteFailed';
/** Why `readConfig` refuses a config: only a person can fix the file. */
export type ConfigReadReason = 'ConfigTooLarge' | 'ConfigNotUtf8';

/** A config homeostat will not read or write, with the reason (a condition reason) and a clear message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly reason: ConfigErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** A ConfigError `readConfig` throws (a file homeostat will not read). */
export function isConfigReadError(err: unknown): err is ConfigError & { reason: ConfigReadReason } {
  return err instanceof ConfigError && (err.reason === 'ConfigTooLarge' || err.reason === 'ConfigNotUtf8');
}

/** What was read: the exact bytes (for compare-and-swap) and the parsed document. */
export interface ConfigSnapshot {
  location: ConfigLocation;
  raw: Buffer;
  doc: ConfigDocument;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads and parses a config; `null` when it does not exist. Refuses (ConfigError) too large or non-UTF-8 files. */
export async function readConfig(host: Host, location: ConfigLocation, opts: { signal?: AbortSignal } = {}): Promise<ConfigSnapshot | null> {
  const st = await host.stat(location.path);
  if (st === null) return null;
  if (st.size > MAX_CONFIG_BYTES) throw tooLarge(host, location, st.size);
  const raw = await host.readFileIfExists(location.path, opts);
  if (raw === null) return null;
  if (raw.length > MAX_CONFIG_BYTES) throw tooLarge(host, location, raw.length);
  const text = raw.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(raw)) {
    throw new ConfigError('ConfigNotUtf8', `${host.name}:${location.path} is not valid UTF-8: homeostat leaves it alone`);
  }
  return { location, raw, doc: parseConfig(location.flavor, text) };
}

function tooLarge(host: Host, location: ConfigLocation, size: number): ConfigError {
  return new ConfigError(
    'ConfigTooLarge',
    `${host.name}:${location.path} is ${size} bytes, over the 1 MiB limit of Proxmox's cluster filesystem: homeostat does not edit it`,
  );
}

/** Throws ConfigError(ConfigLocked) when Proxmox has the container locked (`lock: backup` etc.). */
export function assertEditable(snapshot: ConfigSnapshot, hostName: string): void {
  const lock = lockOf(snapshot.doc);
  if (lock !== null) {
    throw new ConfigError(
      'ConfigLocked',
      `${hostName}:${snapshot.location.path} is locked (lock: ${lock}): homeostat waits until Proxmox releases it ` +
        `(or a human runs \`pct unlock ${snapshot.location.container}\` after checking nothing is running)`,
    );
  }
}

/**
 * Replaces the config with `text`, only if it still holds `snapshot.raw` (else a HostError `ECONFLICT`: observe
 * again). Refuses locked configs and content over 1 MiB. Proxmox: under pct's flock; plain LXC: CAS write.
 */
export async function writeConfig(
  host: Host,
  snapshot: ConfigSnapshot,
  text: string,
  opts: { signal?: AbortSignal; lockTimeoutSeconds?: number } = {},
): Promise<void> {
  const { location } = snapshot;
  assertEditable(snapshot, host.name);
  const data = Buffer.from(text, 'utf8');
  if (data.length > MAX_CONFIG_BYTES) {
    throw new ConfigError('ConfigTooLarge', `the new ${host.name}:${location.path} would be ${data.length} bytes, over the 1 MiB limit`);
  }
  if (location.lockPath === null) {
    await host.writeFileAtomic(location.path, data, { expected: snapshot.raw, fsync: true, signal: opts.signal });
    return;
  }
  // One round trip when the transport can (SSH: the remote helper) and the lock is free; else flock(1), waiting.
  if (host.tryWriteUnderLock && (await host.tryWriteUnderLock(location.path, data, { lockPath: location.lockPath, expected: snapshot.raw, signal: opts.signal }))) {
    return;
  }
  await writeUnderPctLock(host, location.path, location.lockPath, snapshot.raw, data, opts.lockTimeoutSeconds ?? LOCK_TIMEOUT_SECONDS, opts.signal);
}

/** Exit codes of the locked write. */
const EXIT_CHANGED = 75;
const EXIT_LOCK_TIMEOUT = 76;

/** The constant script run under the lock: `$1` target, `$2` expected sha256; stdin is the new content. */
const LOCKED_WRITE_SCRIPT = [
  'target=$1 expected=$2',
  'actual=$(sha256sum < "$target") || exit 75',
  '[ "${actual%% *}" = "$expected" ] || exit 75',
  'umask 027',
  'tmp="$target.tmp.$$"',
  'if ! cat > "$tmp"; then rm -f "$tmp"; exit 1; fi',
  'sync "$tmp" 2>/dev/null',
  'if ! mv -f "$tmp" "$target"; then rm -f "$tmp"; exit 1; fi',
].join('\n');

async function writeUnderPctLock(
  host: Host,
  path: string,
  lockPath: string,
  expected: Buffer,
  data: Buffer,
  lockTimeoutSeconds: number,
  signal?: AbortSignal,
): Promise<void> {
  await host.mkdir(posix.dirname(lockPath), { recursive: true });
  const argv = [
    'flock',
    '-w',
    String(lockTimeoutSeconds),
    '-E',
    String(EXIT_LOCK_TIMEOUT),
    host.resolvePath(lockPath),
    'sh',
    '-c',
    LOCKED_WRITE_SCRIPT,
    'homeostat-write-config',
    host.resolvePath(path),
    sha256Hex(expected),
  ];
  const result = await host.exec(argv, { input: data, signal, timeoutMs: (lockTimeoutSeconds + 20) * 1000 });
  if (result.code === 0) return;
  if (result.code === EXIT_CHANGED) {
    throw new HostError('ECONFLICT', `write ${path}: the file has changed since it was read (compare-and-swap refused)`, host.name, path);
  }
  if (result.code === EXIT_LOCK_TIMEOUT) {
    throw new ConfigError(
      'ConfigLockTimeout',
      `${host.name}:${path}: pct's config lock ${lockPath} stayed taken for ${lockTimeoutSeconds} s (a pct command is running); will retry`,
    );
  }
  if (result.code === 127) throw new ConfigError('ConfigWriteFailed', `${host.name}: flock is not installed (util-linux), cannot take pct's lock`);
  throw new ConfigError('ConfigWriteFailed', `${host.name}:${path}: write failed (exit ${result.code}): ${result.stderr.trim()}`);
}
