import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHostError, LocalHost } from '../host/index.js';
import { editMainSection } from './edit.js';
import { ConfigError, MAX_CONFIG_BYTES, readConfig, writeConfig } from './io.js';
import { lxcConfigLocation, proxmoxConfigLocation } from './paths.js';
import { updateConfig } from './update.js';

let root: string;
let host: LocalHost;
const holders: ChildProcess[] = [];
const pve = proxmoxConfigLocation('100');
const real = (p: string) => join(root, p);

function writeReal(path: string, text: string | Buffer, mode = 0o640): void {
  mkdirSync(dirname(real(path)), { recursive: true });
  writeFileSync(real(path), text);
  chmodSync(real(path), mode);
}

/** Holds pct's lock like a running `pct set` would, until `ms` pass; resolves once the lock is taken. */
function holdLock(lockPath: string, ms: number): Promise<void> {
  mkdirSync(dirname(real(lockPath)), { recursive: true });
  const child = spawn('flock', [real(lockPath), 'sh', '-c', `echo locked; sleep ${ms / 1000}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, so that cleanup ends flock and the sleep it runs
  });
  holders.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('error', reject);
  });
}

const CONF = 'arch: amd64\ncores: 2\nhostname: media\nunprivileged: 1\n\n[snap1]\ncores: 1\nsnaptime: 1700000000\n';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-lxc-config-'));
  host = new LocalHost({ root, platform: 'proxmox' });
});

afterEach(() => {
  for (const child of holders.splice(0)) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe('readConfig', () => {
  it('returns null for a container without a config', async () => {
    expect(await readConfig(host, pve)).toBeNull();
  });

  it('refuses a config over 1 MiB, naming the file', async () => {
    writeReal(pve.path, `cores: 1\n#${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const error = await readConfig(host, pve).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ reason: 'ConfigTooLarge', message: expect.stringContaining('/etc/pve/lxc/100.conf') });
  });

  it('refuses bytes that are not UTF-8 rather than mangling them', async () => {
    writeReal(pve.path, Buffer.from([0x23, 0xff, 0x0a]));
    await expect(readConfig(host, pve)).rejects.toMatchObject({ reason: 'ConfigNotUtf8' });
  });
});

describe('writeConfig on Proxmox (under pct lock)', () => {
  it('replaces the file atomically, keeps mode 0640, leaves no temp file', async () => {
    writeReal(pve.path, CONF);
    const snapshot = (await readConfig(host, pve))!;
    const text = editMainSection(snapshot.doc, { add: ['lxc.cgroup2.devices.allow: c 10:200 rwm'], remove: [] }).text;
    await writeConfig(host, snapshot, text);
    expect(readFileSync(real(pve.path), 'utf8')).toBe(
      'arch: amd64\ncores: 2\nhostname: media\nunprivileged: 1\nlxc.cgroup2.devices.allow: c 10:200 rwm\n\n[snap1]\ncores: 1\nsnaptime: 1700000000\n',
    );
    expect(statSync(real(pve.path)).mode & 0o7777).toBe(0o640);
    expect(readdirSync(real('/etc/pve/lxc'))).toEqual(['100.conf']);
  });

  it('is compare-and-swap: a file changed since it was read is left as the other writer left it', async () => {
    writeReal(pve.path, CONF);
    const snapshot = (await readConfig(host, pve))!;
    writeReal(pve.path, `${CONF}# someone else\n`);
    const error = await writeConfig(host, snapshot, 'cores: 9\n').catch((e: unknown) => e);
    expect(isHostError(error, 'ECONFLICT')).toBe(true);
    expect(readFileSync(real(pve.path), 'utf8')).toBe(`${CONF}# someone else\n`);
  });

  it('refuses a locked container (lock: backup) and leaves the file untouched', async () => {
    const locked = 'cores: 2\nlock: backup\nhostname: db\n';
    writeReal(pve.path, locked);
    const snapshot = (await readConfig(host, pve))!;
    await expect(writeConfig(host, snapshot, 'cores: 2\nhostname: db\n')).rejects.toMatchObject({
      reason: 'ConfigLocked',
      message: expect.stringContaining('lock: backup'),
    });
    expect(readFileSync(real(pve.path), 'utf8')).toBe(locked);
  });

  it('refuses to write more than 1 MiB', async () => {
    writeReal(pve.path, CONF);
    const snapshot = (await readConfig(host, pve))!;
    await expect(writeConfig(host, snapshot, `#${'y'.repeat(MAX_CONFIG_BYTES)}\n`)).rejects.toMatchObject({ reason: 'ConfigTooLarge' });
    expect(readFileSync(real(pve.path), 'utf8')).toBe(CONF);
  });

  it('waits while pct holds the config lock, then writes', async () => {
    writeReal(pve.path, CONF);
    const snapshot = (await readConfig(host, pve))!;
    await holdLock(pve.lockPath!, 1200);
    const started = Date.now();
    await writeConfig(host, snapshot, `${CONF}lxc.a: 1\n`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(readFileSync(real(pve.path), 'utf8')).toBe(`${CONF}lxc.a: 1\n`);
  });

  it('gives up with a clear, retryable error when the lock stays taken, file untouched', async () => {
    writeReal(pve.path, CONF);
    const snapshot = (await readConfig(host, pve))!;
    await holdLock(pve.lockPath!, 4000);
    await expect(writeConfig(host, snapshot, 'cores: 1\n', { lockTimeoutSeconds: 1 })).rejects.toMatchObject({
      reason: 'ConfigLockTimeout',
      message: expect.stringContaining('pve-config-100.lock'),
    });
    expect(readFileSync(real(pve.path), 'utf8')).toBe(CONF);
  });
});

describe('writeConfig on plain LXC', () => {
  it('compare-and-swap writes keep the mode', async () => {
    const loc = lxcConfigLocation('c1');
    writeReal(loc.path, 'lxc.net.0.type = empty\n', 0o600);
    const snapshot = (await readConfig(host, loc))!;
    await writeConfig(host, snapshot, 'lxc.net.0.type = empty\nlxc.a = 1\n');
    expect(readFileSync(real(loc.path), 'utf8')).toBe('lxc.net.0.type = empty\nlxc.a = 1\n');
    expect(statSync(real(loc.path)).mode & 0o7777).toBe(0o600);
    writeReal(loc.path, 'changed\n', 0o600);
    const error = await writeConfig(host, snapshot, 'x\n').catch((e: unknown) => e);
    expect(isHostError(error, 'ECONFLICT')).toBe(true);
  });
});

describe('updateConfig', () => {
  it('reads, edits the main section and writes; a no-op writes nothing', async () => {
    writeReal(pve.path, CONF);
    const line = 'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file';
    const first = await updateConfig(host, pve, () => ({ add: [line], remove: [] }));
    expect(first?.written).toContain(line);
    const mtime = statSync(real(pve.path)).mtimeMs;
    const second = await updateConfig(host, pve, (doc) => (doc.lines.some((l) => l.text === line) ? null : { add: [line], remove: [] }));
    expect(second?.written).toBeNull();
    expect(statSync(real(pve.path)).mtimeMs).toBe(mtime);
    await updateConfig(host, pve, () => ({ add: [], remove: [line] }));
    expect(readFileSync(real(pve.path), 'utf8')).toBe(CONF);
    expect(await updateConfig(host, proxmoxConfigLocation('101'), () => null)).toBeNull();
  });
});
