/**
 * The `homeostat` command as a user runs it (the built bin, a real process): exit codes and output of
 * validate, explain, diff, apply, get and describe, on a sandbox root with a real tmpfs disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { canMount, integration } from '../support/integration.js';
import { createLab, hostManifest, keepaliveManifest, type TestLab } from '../support/lab.js';
import { waitUntil } from '../support/wait.js';
import { BUILT_CLI as BIN } from '../support/built-cli.js';

const built = integration('built CLI', existsSync(BIN), 'run `npm run build` first (npm test does)');
const mounts = integration('mount', canMount(), 'tmpfs mounts need root on Linux');

let lab: TestLab;

function homeostat(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, HOMEOSTAT_STATE_DIR: lab.state } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeEach(() => {
  lab = createLab();
  lab.writeManifest('host.yaml', hostManifest('local', lab.root));
});
afterEach(() => lab.cleanup());

built.describe('homeostat CLI', () => {
  it('validate: exit 0 on valid manifests, 1 with one FILE:LINE:COL line per error', () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd' }));
    const ok = homeostat('validate', '--manifests', lab.manifests);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('2 resource(s) valid');

    lab.writeManifest('bad.yaml', keepaliveManifest('bad', { path: '/mnt/hdd', interval: 'often', bogus: 'x' }));
    lab.writeManifest('dup.yaml', keepaliveManifest('hdd', { path: '/mnt/other' }));
    const bad = homeostat('validate', '--manifests', lab.manifests);
    expect(bad.code).toBe(1);
    const lines = bad.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^bad\.yaml:\d+:\d+ StorageKeepalive\/bad: spec\.interval: /));
    expect(lines).toContainEqual(expect.stringMatching(/^bad\.yaml:\d+:\d+ StorageKeepalive\/bad: spec\.bogus: unknown field/));
    expect(lines.some((l) => /^dup\.yaml:\d+:\d+ StorageKeepalive\/hdd: .*hdd\.yaml/.test(l))).toBe(true);
  });

  it('explain prints a field with its type and default; an unknown field exits 1', () => {
    const r = homeostat('explain', 'StorageKeepalive.spec.mode');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('controller');
    expect(r.stdout).toContain('cron');
    expect(homeostat('explain', 'StorageKeepalive.spec.nope').code).toBe(1);
  });

  mounts.it('diff shows the changes (exit 1), apply converges (exit 0), diff then reports none (exit 0)', () => {
    lab.mountDisk('/mnt/hdd');
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron' }));
    const before = homeostat('diff', '--manifests', lab.manifests);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('~ StorageKeepalive/hdd (local):');
    expect(before.stdout).toContain('/etc/cron.d/homeostat-hdd');
    expect(existsSync(lab.real('/etc/cron.d/homeostat-hdd'))).toBe(false); // diff changes nothing

    const apply = homeostat('apply', '--manifests', lab.manifests);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(readFileSync(lab.real('/etc/cron.d/homeostat-hdd'), 'utf8')).toContain('mountpoint -q');

    const after = homeostat('diff', '--manifests', lab.manifests);
    expect(after.stdout).toContain('no changes');
    expect(after.code).toBe(0);

    const get = homeostat('get', 'StorageKeepalive');
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^KIND\s+NAME\s+HOST\s+READY\s+STATUS\s+AGE\s+REVISION$/m);
    expect(get.stdout).toMatch(/^StorageKeepalive\s+hdd\s+local\s+True\s+Succeeded\s+\d+s\s+-$/m); // not a git work tree: no revision
    const json = JSON.parse(homeostat('get', '-o', 'json').stdout) as { items: Array<{ name: string }> };
    expect(json.items.map((i) => i.name).sort()).toEqual(['hdd', 'local']);

    const describeOut = homeostat('describe', 'StorageKeepalive/hdd');
    expect(describeOut.code).toBe(0);
    expect(describeOut.stdout).toContain('file  local:/etc/cron.d/homeostat-hdd');
    expect(describeOut.stdout).toMatch(/Ready\s+True/);
    expect(homeostat('describe', 'StorageKeepalive/nope').code).toBe(1);
  });

  mounts.it('apply exits 1 when a resource is not Ready (disk not mounted), and diff says why', () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd' }));
    const apply = homeostat('apply', '--manifests', lab.manifests);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/StorageKeepalive\s+hdd\s+local\s+False\s+NotMounted/);
    const diff = homeostat('diff', '--manifests', lab.manifests);
    expect(diff.stdout).toContain('degraded: NotMounted');
  });

  it('run refuses a non-loopback --listen without --allow-remote, before touching anything', () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    const r = homeostat('run', '--manifests', lab.manifests, '--listen', '0.0.0.0:0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('homeostat: --listen 0.0.0.0: not a loopback address');
    expect(r.stderr).toContain('--allow-remote');
    expect(existsSync(lab.real('/etc/cron.d/homeostat-hdd'))).toBe(false);
  });

  it('diff exits 2 on invalid manifests, naming the file', () => {
    lab.writeManifest('hdd.yaml', 'kind: StorageKeepalive\nmetadata: { name: hdd }\nspec: {}\n');
    const r = homeostat('diff', '--manifests', lab.manifests);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hdd\.yaml:\d+:\d+/m);
  });

  it('run: serves while up, takes `reconcile` and `get`, refuses a second controller, exits 0 on SIGTERM leaving no temp files', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    const child = spawn(process.execPath, [BIN, 'run', '--manifests', lab.manifests, '--listen', '127.0.0.1:0'], {
      env: { ...process.env, HOMEOSTAT_STATE_DIR: lab.state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitUntil('the daemon announces itself', () => existsSync(join(lab.state, 'daemon.json')), 10_000);
      await waitUntil('the cron file', () => existsSync(lab.real('/etc/cron.d/homeostat-hdd')), 10_000);
      const second = homeostat('run', '--manifests', lab.manifests, '--listen', '127.0.0.1:0');
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/another homeostat controller \(pid \d+/);
      // The API token the CLI reads itself: private to the controller's user; no token, no call.
      const tokenFile = join(lab.state, 'api-token');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const reconcile = homeostat('reconcile', 'StorageKeepalive/hdd');
      expect(reconcile.stdout).toContain('queued');
      expect(reconcile.code).toBe(0);
      expect(homeostat('get').stdout).toMatch(/StorageKeepalive\s+hdd\s+local\s+True/);
      const prune = homeostat('prune', '--confirm');
      expect(prune.stdout).toBe('nothing held\n');
      expect(prune.code).toBe(0);
      const token = readFileSync(tokenFile, 'utf8').trim();
      chmodSync(tokenFile, 0o644);
      const exposed = homeostat('reconcile', 'StorageKeepalive/hdd');
      expect(exposed.code).toBe(1);
      expect(exposed.stderr).toContain(`${tokenFile}: mode 644 lets other users read it`);
      expect(exposed.stderr + exposed.stdout).not.toContain(token);
      chmodSync(tokenFile, 0o600);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toContain('homeostat controller stopped');
    expect(existsSync(join(lab.state, 'controller.lock'))).toBe(false);
    expect(readdirSync(lab.real('/etc/cron.d')).filter((f) => f.includes('.tmp'))).toEqual([]);
  }, 30_000);
});
