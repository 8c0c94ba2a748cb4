/**
 * StorageKeepalive against a real LocalHost confined to a temp sandbox root, with real tmpfs mounts standing in
 * for the USB disk: heartbeats land on the mounted disk, never on the bare directory an unmount leaves behind,
 * and cron mode converges (and on delete removes) exactly its own /etc/cron.d file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync, unlinkSync, rmdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Histogram, Counter } from 'prom-client';
import { metricsRegistry } from '../../reconcilers/core/metrics.js';
import type { Host, WatchEvent, WriteOptions } from '../../reconcilers/host/host.js';
import { LocalHost } from '../../reconcilers/host/local.js';
import { storageKeepaliveReconciler as reconciler, type StorageKeepaliveSpec } from '../../reconcilers/storage-keepalive/index.js';
import { heartbeatShellCommand, renderCronFile } from '../../reconcilers/storage-keepalive/cron.js';
import { canMount, integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';
import { MemoryState, reconcileOnce, resourceOf } from './context.js';

const MIN = 60_000;
const HEARTBEAT = '/mnt/hdd/.homeostat-keepalive';
const CRON = '/etc/cron.d/homeostat-hdd';

const spec = (over: Partial<StorageKeepaliveSpec> = {}): StorageKeepaliveSpec => ({
  host: 'local',
  path: '/mnt/hdd',
  interval: '5m',
  method: 'write-fsync',
  mode: 'controller',
  requireMountpoint: true,
  file: '.homeostat-keepalive',
  slowThreshold: '2s',
  ...over,
});

let resourceCounter = 0;
/** A resource with a fresh name (metrics are per process), or the given one. */
const keepalive = (s: StorageKeepaliveSpec, name = `hdd-${++resourceCounter}`) => resourceOf('StorageKeepalive', name, s);

/** The real LocalHost, with every writeFileAtomic's path and options noted (to see that fsync was asked for). */
function noteWrites(host: Host): { host: Host; writes: Array<{ path: string; opts: WriteOptions | undefined }> } {
  const writes: Array<{ path: string; opts: WriteOptions | undefined }> = [];
  const noting = new Proxy(host, {
    get(target, prop, receiver) {
      if (prop === 'writeFileAtomic') {
        return (path: string, data: Buffer | string, opts?: WriteOptions) => {
          writes.push({ path, opts });
          return target.writeFileAtomic(path, data, opts);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { host: noting, writes };
}

async function metricValue(name: string, resource: string, suffix = ''): Promise<number | undefined> {
  const metric = metricsRegistry.getSingleMetric(name) as Histogram<'resource'> | Counter<'resource'> | undefined;
  const values: Array<{ value: number; labels: Record<string, unknown>; metricName?: string }> = (await metric?.get())?.values ?? [];
  return values.find((v) => v.labels.resource === resource && (suffix === '' || v.metricName === `${name}${suffix}`))?.value;
}

const mount = integration('mount', canMount(), 'mounting tmpfs needs root on Linux');

mount.describe('StorageKeepalive on LocalHost with tmpfs disks', () => {
  let realRoot: string;
  let host: LocalHost;
  const mounted = new Set<string>();
  const real = (hostPath: string) => join(realRoot, hostPath);
  const plugIn = (hostPath = '/mnt/hdd') => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', real(hostPath)]);
    mounted.add(real(hostPath));
  };
  const unplug = (hostPath = '/mnt/hdd') => {
    execFileSync('umount', [real(hostPath)]);
    mounted.delete(real(hostPath));
  };

  beforeEach(async () => {
    realRoot = await mkdtemp(join(tmpdir(), 'homeostat-keepalive-'));
    await mkdir(real('/mnt/hdd'), { recursive: true });
    await mkdir(real('/etc/cron.d'), { recursive: true });
    plugIn();
    host = new LocalHost({ root: realRoot });
  });

  afterEach(async () => {
    await host?.close();
    for (const dir of [...mounted]) {
      if (spawnSync('umount', [dir]).status !== 0) execFileSync('umount', ['-l', dir]);
      mounted.delete(dir);
    }
    await rm(realRoot, { recursive: true, force: true });
  });

  it('writes the heartbeat with fsync onto the mounted disk, then waits for the interval', async () => {
    const { host: noting, writes } = noteWrites(host);
    const state = new MemoryState();
    const resource = keepalive(spec());
    const t0 = Date.now();

    const first = await reconcileOnce(reconciler, state, resource, noting, t0);
    expect(first.plan.changes.map((c) => [c.action, c.target])).toEqual([['heartbeat', `local:${HEARTBEAT}`]]);
    expect(first.after).toEqual({ changes: [], requeueAfterMs: 5 * MIN });

    expect(readFileSync(real(HEARTBEAT), 'utf8')).toBe(`${new Date(t0).toISOString()}\n`);
    expect(statSync(real(HEARTBEAT)).dev).toBe(statSync(real('/mnt/hdd')).dev);
    expect(statSync(real('/mnt/hdd')).dev).not.toBe(statSync(realRoot).dev);
    expect(writes).toEqual([{ path: HEARTBEAT, opts: expect.objectContaining({ fsync: true }) }]);
    expect(readdirSync(real('/mnt/hdd'))).toEqual(['.homeostat-keepalive']); // no temp file left behind

    expect(state.inventory).toEqual([{ type: 'file', host: 'local', id: HEARTBEAT }]);
    expect(state.status).toEqual({ lastHeartbeat: new Date(t0).toISOString(), lastHeartbeatLatencyMs: expect.any(Number) });
    expect(state.events).toEqual([]);
    expect(await metricValue('homeostat_storage_heartbeat_seconds', resource.metadata.name, '_count')).toBe(1);

    const early = await reconcileOnce(reconciler, state, resource, noting, t0 + 5 * MIN - 1);
    expect(early.plan).toEqual({ changes: [], requeueAfterMs: 1 });
    expect(writes).toHaveLength(1);

    const due = await reconcileOnce(reconciler, state, resource, noting, t0 + 5 * MIN);
    expect(due.plan.changes.map((c) => c.action)).toEqual(['heartbeat']);
    expect(due.after.changes).toEqual([]);
    expect(readFileSync(real(HEARTBEAT), 'utf8')).toBe(`${new Date(t0 + 5 * MIN).toISOString()}\n`);
    expect(state.inventory).toHaveLength(1);
    expect(await metricValue('homeostat_storage_heartbeat_seconds', resource.metadata.name, '_count')).toBe(2);
  });

  it('reports a heartbeat slower than slowThreshold as DiskWokeUp; method touch skips fsync', async () => {
    const { host: noting, writes } = noteWrites(host);
    const state = new MemoryState();
    const resource = keepalive(spec({ slowThreshold: '0ms', method: 'touch' }));
    await reconcileOnce(reconciler, state, resource, noting, Date.now());
    expect(writes).toEqual([{ path: HEARTBEAT, opts: expect.objectContaining({ fsync: false }) }]);
    expect(state.events).toEqual([
      { type: 'Warning', reason: 'DiskWokeUp', message: expect.stringMatching(/^heartbeat to local:\/mnt\/hdd\/\.homeostat-keepalive took .* \(slow threshold 0ms\)/) },
    ]);
    expect(await metricValue('homeostat_storage_disk_wakeups_total', resource.metadata.name)).toBe(1);
  });

  it('never writes to the bare directory an unplugged disk leaves, and resumes when it is back', async () => {
    const state = new MemoryState();
    const resource = keepalive(spec());
    const t0 = Date.now();
    await reconcileOnce(reconciler, state, resource, host, t0);

    unplug();
    for (const now of [t0 + MIN, t0 + 60 * MIN]) {
      const { plan, after } = await reconcileOnce(reconciler, state, resource, host, now);
      expect(plan.changes).toEqual([]);
      expect(plan.degraded).toEqual({ type: 'Degraded', reason: 'NotMounted', message: expect.stringMatching(/^\/mnt\/hdd is not a mountpoint/) });
      expect(plan.requeueAfterMs).toBe(5_000);
      expect(after.degraded?.reason).toBe('NotMounted');
    }
    expect(readdirSync(real('/mnt/hdd'))).toEqual([]);

    plugIn();
    const back = await reconcileOnce(reconciler, state, resource, host, t0 + 61 * MIN);
    expect(back.plan.degraded).toBeUndefined();
    expect(back.plan.changes.map((c) => c.action)).toEqual(['heartbeat']);
    expect(readFileSync(real(HEARTBEAT), 'utf8')).toBe(`${new Date(t0 + 61 * MIN).toISOString()}\n`);
    expect(back.after).toEqual({ changes: [], requeueAfterMs: 5 * MIN });
  });

  it('checks the mountpoint again right before writing (the disk may go between plan and apply)', async () => {
    const state = new MemoryState();
    const resource = keepalive(spec());
    const ctx = state.context(resource, host, Date.now());
    const observed = await reconciler.observe(ctx);
    const plan = reconciler.plan(resource.spec, observed, { name: resource.metadata.name, now: ctx.now, inventory: [], memo: {} });
    expect(plan.changes.map((c) => c.action)).toEqual(['heartbeat']);
    unplug();
    await expect(reconciler.apply(plan.changes, observed, ctx)).rejects.toThrow(/stopped being a mountpoint/);
    expect(readdirSync(real('/mnt/hdd'))).toEqual([]);
    expect(state.inventory).toEqual([]);
  });

  it('a path that does not exist is NotMounted too', async () => {
    unplug();
    rmdirSync(real('/mnt/hdd'));
    const { plan } = await reconcileOnce(reconciler, new MemoryState(), keepalive(spec({ requireMountpoint: false })), host, Date.now());
    expect(plan.changes).toEqual([]);
    expect(plan.degraded?.reason).toBe('NotMounted');
    expect(plan.degraded?.message).toMatch(/^\/mnt\/hdd is missing/);
    expect(existsSync(real('/mnt/hdd'))).toBe(false);
  });

  it('cron mode converges the exact cron file, heals edits, and finalize removes only it', async () => {
    const state = new MemoryState();
    const cronSpec = spec({ mode: 'cron' });
    const resource = keepalive(cronSpec, 'hdd');
    const expected = renderCronFile('hdd', cronSpec);
    writeFileSync(real('/etc/cron.d/backup'), '0 3 * * * root /usr/local/bin/backup\n');

    const created = await reconcileOnce(reconciler, state, resource, host, Date.now());
    expect(created.plan.changes.map((c) => [c.action, c.target])).toEqual([['write', `local:${CRON}`]]);
    expect(created.after).toEqual({ changes: [] });
    expect(readFileSync(real(CRON), 'utf8')).toBe(expected);
    expect(statSync(real(CRON)).mode & 0o7777).toBe(0o644);
    expect(state.inventory).toEqual([{ type: 'file', host: 'local', id: CRON }]);
    expect(readdirSync(real('/mnt/hdd'))).toEqual([]); // cron mode never writes the heartbeat itself

    writeFileSync(real(CRON), expected.replace('*/5 * * * *', '*/30 * * * *'));
    const edited = await reconcileOnce(reconciler, state, resource, host, Date.now());
    expect(edited.plan.changes[0]?.details?.filter((d) => !d.startsWith('  '))).toEqual([
      expect.stringMatching(/^- \*\/30 \* \* \* \* root mountpoint/),
      expect.stringMatching(/^\+ \*\/5 \* \* \* \* root mountpoint/),
    ]);
    expect(edited.after.changes).toEqual([]);
    expect(readFileSync(real(CRON), 'utf8')).toBe(expected);

    chmodSync(real(CRON), 0o666);
    const chmodded = await reconcileOnce(reconciler, state, resource, host, Date.now());
    expect(chmodded.plan.changes.map((c) => c.action)).toEqual(['chmod']);
    expect(statSync(real(CRON)).mode & 0o7777).toBe(0o644);

    unlinkSync(real(CRON));
    const deleted = await reconcileOnce(reconciler, state, resource, host, Date.now());
    expect(deleted.plan.changes.map((c) => c.action)).toEqual(['write']);
    expect(readFileSync(real(CRON), 'utf8')).toBe(expected);

    await reconciler.finalize(state.context(resource, host, Date.now()));
    expect(readdirSync(real('/etc/cron.d'))).toEqual(['backup']);
    expect(state.inventory).toEqual([]);
  });

  it('cron mode keeps the cron file while the disk is unplugged (its guard protects the disk) and reports NotMounted', async () => {
    unplug();
    const { plan, after } = await reconcileOnce(reconciler, new MemoryState(), keepalive(spec({ mode: 'cron' }), 'hdd'), host, Date.now());
    expect(plan.changes.map((c) => c.action)).toEqual(['write']);
    expect(plan.degraded?.reason).toBe('NotMounted');
    expect(after.changes).toEqual([]);
    expect(existsSync(real(CRON))).toBe(true);
    expect(readdirSync(real('/mnt/hdd'))).toEqual([]);
  });

  it('switching mode removes what the other mode created', async () => {
    const state = new MemoryState();
    writeFileSync(real('/mnt/hdd/photos.txt'), 'a human file\n');
    const t0 = Date.now();
    await reconcileOnce(reconciler, state, keepalive(spec(), 'hdd'), host, t0);
    expect(existsSync(real(HEARTBEAT))).toBe(true);

    const toCron = await reconcileOnce(reconciler, state, keepalive(spec({ mode: 'cron' }), 'hdd'), host, t0 + MIN);
    expect(toCron.plan.changes.map((c) => [c.action, c.target])).toEqual([
      ['delete', `local:${HEARTBEAT}`],
      ['write', `local:${CRON}`],
    ]);
    expect(toCron.after.changes).toEqual([]);
    expect(readdirSync(real('/mnt/hdd'))).toEqual(['photos.txt']);
    expect(state.inventory).toEqual([{ type: 'file', host: 'local', id: CRON }]);

    const back = await reconcileOnce(reconciler, state, keepalive(spec(), 'hdd'), host, t0 + 2 * MIN);
    expect(back.plan.changes.map((c) => c.action)).toEqual(['delete', 'heartbeat']);
    expect(readdirSync(real('/etc/cron.d'))).toEqual([]);
    expect(readdirSync(real('/mnt/hdd'))).toEqual(['.homeostat-keepalive', 'photos.txt']);

    await reconciler.finalize(state.context(keepalive(spec(), 'hdd'), host, t0 + 3 * MIN));
    expect(readdirSync(real('/mnt/hdd'))).toEqual(['photos.txt']);
    expect(state.inventory).toEqual([]);
  });

  it('watch targets see the cron file being deleted and the disk being unplugged', async () => {
    await reconcileOnce(reconciler, new MemoryState(), keepalive(spec({ mode: 'cron' }), 'hdd'), host, Date.now());
    const cronEvents: WatchEvent[] = [];
    const cronWatch = host.watch(reconciler.watchTargets!(spec({ mode: 'cron' }), 'hdd'), (e) => cronEvents.push(e));
    await host.unlink(CRON);
    await waitUntil('an event for the deleted cron file', () => cronEvents.length > 0);
    cronWatch.close();

    await reconcileOnce(reconciler, new MemoryState(), keepalive(spec()), host, Date.now());
    const diskEvents: WatchEvent[] = [];
    const diskWatch = host.watch(reconciler.watchTargets!(spec(), 'hdd'), (e) => diskEvents.push(e));
    unplug();
    await waitUntil('an event for the unplugged disk', () => diskEvents.length > 0);
    diskWatch.close();
  });

  it('the rendered cron command runs under sh: writes the date onto the disk, and nothing once it is unplugged', async () => {
    // A real path on this machine (the command runs here, not in the sandbox), with a space, a quote and a %.
    const diskDir = "/mnt/it's 100% disk";
    await mkdir(real(diskDir), { recursive: true });
    plugIn(diskDir);
    const s = spec({ mode: 'cron', path: real(diskDir) });
    const cronLine = renderCronFile('hdd', s).split('\n')[2]!;
    const fields = cronLine.split(' ');
    expect(fields.slice(0, 6)).toEqual(['*/5', '*', '*', '*', '*', 'root']);
    const command = fields.slice(6).join(' ').replaceAll('\\%', '%'); // what cron hands to sh
    expect(command).toBe(heartbeatShellCommand(s));

    execFileSync('sh', ['-n', '-c', command]);
    execFileSync('sh', ['-c', command]);
    expect(readFileSync(join(real(diskDir), '.homeostat-keepalive'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);

    unplug(diskDir);
    expect(spawnSync('sh', ['-c', command]).status).not.toBe(0);
    expect(readdirSync(real(diskDir))).toEqual([]);
  });
});
