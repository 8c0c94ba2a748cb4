/**
 * The Proxmox config write over SSH (a real sshd on 127.0.0.1): with pct's lock free, one request to the remote
 * helper takes the lock, compares and swaps, and keeps mode 0640; with the lock taken, the helper says so at once
 * (writing nothing) and the `flock ... sh -c` exec, with the new content on stdin, waits for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { isHostError, SshHost } from '../../reconcilers/host/index.js';
import { editMainSection, proxmoxConfigLocation, readConfig, writeConfig } from '../../reconcilers/lxc-config/index.js';
import { integration } from '../support/integration.js';
import { sshdAvailable, startSshd, type TestSshd, sshLoginOf } from '../support/sshd.js';

const sshd = integration('sshd', sshdAvailable(), 'openssh-server is not installed, or not root');

let server: TestSshd;
let root: string;
let host: SshHost;
let holder: ChildProcess | undefined;
const loc = proxmoxConfigLocation('100');
const CONF = 'arch: amd64\ncores: 1\n\n[snap]\ncores: 2\n';

sshd.describe('writeConfig over SSH', () => {
  beforeAll(async () => {
    server = await startSshd();
    root = await mkdtemp(join(tmpdir(), 'homeostat-pve-ssh-'));
    host = new SshHost({
      name: 'pve',
      ...sshLoginOf(server),
      root,
      platform: 'proxmox',
    });
  });

  afterAll(async () => {
    if (holder?.pid !== undefined && holder.exitCode === null) process.kill(-holder.pid, 'SIGKILL');
    await host?.close();
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  sshd.it('waits for the pct lock, writes atomically with mode 0640, and refuses a stale snapshot', async () => {
    const real = join(root, loc.path);
    mkdirSync(dirname(real), { recursive: true });
    writeFileSync(real, CONF);
    chmodSync(real, 0o640);
    const snapshot = (await readConfig(host, loc))!;
    const text = editMainSection(snapshot.doc, { add: ['lxc.cgroup2.devices.allow: c 10:200 rwm'], remove: [] }).text;

    const lock = join(root, loc.lockPath!);
    mkdirSync(dirname(lock), { recursive: true });
    holder = spawn('flock', [lock, 'sh', '-c', 'echo locked; sleep 1'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    await new Promise((resolve) => holder!.stdout!.once('data', resolve));
    const started = Date.now();
    await writeConfig(host, snapshot, text);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(readFileSync(real, 'utf8')).toBe('arch: amd64\ncores: 1\nlxc.cgroup2.devices.allow: c 10:200 rwm\n\n[snap]\ncores: 2\n');
    expect(statSync(real).mode & 0o7777).toBe(0o640);

    const stale = await writeConfig(host, snapshot, CONF).catch((e: unknown) => e);
    expect(isHostError(stale, 'ECONFLICT')).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain('10:200');
  });

  sshd.it('the helper writes under the lock in one request; a taken lock is `false` at once, a stale snapshot ECONFLICT', async () => {
    const real = join(root, loc.path);
    mkdirSync(dirname(real), { recursive: true });
    writeFileSync(real, CONF);
    chmodSync(real, 0o600);
    const before = Buffer.from(CONF);
    const next = Buffer.from('arch: amd64\ncores: 4\n');
    const lock = join(root, loc.lockPath!);
    mkdirSync(dirname(lock), { recursive: true });
    holder = spawn('flock', [lock, 'sh', '-c', 'echo locked; sleep 2'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    await new Promise((resolve) => holder!.stdout!.once('data', resolve));
    const started = Date.now();
    expect(await host.tryWriteUnderLock(loc.path, next, { lockPath: loc.lockPath!, expected: before })).toBe(false);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(readFileSync(real, 'utf8')).toBe(CONF);
    await new Promise((resolve) => holder!.once('exit', resolve));

    expect(await host.tryWriteUnderLock(loc.path, next, { lockPath: loc.lockPath!, expected: before })).toBe(true);
    expect(readFileSync(real)).toEqual(next);
    expect(statSync(real).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dirname(real)).filter((n) => n.includes('.tmp.'))).toEqual([]);
    const stale = await host.tryWriteUnderLock(loc.path, before, { lockPath: loc.lockPath!, expected: before }).catch((e: unknown) => e);
    expect(isHostError(stale, 'ECONFLICT')).toBe(true);
    expect(readFileSync(real)).toEqual(next);
  });
});
