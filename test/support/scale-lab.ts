/**
 * The lab the scale benchmark (bench/scale.ts) and its test (test/bench/scale-lab.test.ts) build: H Proxmox Hosts,
 * each reached over SSH to its own real sshd on 127.0.0.1 whose sessions have the `pct` stand-in on their PATH
 * (with its start-up delay: a real pct is a Perl program that loads the Proxmox libraries) acting on the Host's own
 * sandbox root. Each root holds N stopped CTs (/etc/pve/lxc/<vmid>.conf, a minimal realistic config, mode 0640,
 * mapped to containers that do not exist, so `pct status` says stopped, and none in /sys/fs/cgroup/lxc, where a
 * Proxmox host lists its running CTs), /dev/net/tun (mknod c 10 200), /mnt/hdd and /etc/cron.d. The manifests give
 * each Host N LxcDevice (tun, raw), a cron StorageKeepalive on /mnt/hdd and a UnifiedNamespace on /data (the
 * sandbox's data.yaml).
 *
 *   const lab = await createScaleLab({ containers: 100, hosts: 1 });
 *   lab.reset();                                   // fresh roots and a fresh state dir: a converge from scratch
 *   lab.homeostat('apply');                        // the built CLI, whole process
 *   const daemon = lab.startDaemon(); await lab.waitAllReady(daemon); await stopDaemon(daemon);
 *   await lab.cleanup();                           // daemons, sshds (by their ids), the folder
 *
 * Needs root (mknod, the uid-0 test user) and sshd. Only loopback.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceView } from '../../controller/status/views.js';
import { runCli, spawnDaemon, type CliRun, type DaemonProcess } from './built-cli.js';
import { minimalPveConfig, pctSshdEnv } from './lxc.js';
import { manifestDoc } from './manifests.js';
import { sshdAvailable, startSshd, type TestSshd } from './sshd.js';
import { sleep } from './wait.js';

/** N containers on each of H Hosts; written `NxH` (`100x10`: 100 containers on each of 10 Hosts). */
export interface ScaleShape {
  containers: number;
  hosts: number;
}

export const FIRST_VMID = 100;

/** The lines LxcDevice (tun, raw) adds to every CT's config, in order. */
export const TUN_LINES = ['lxc.cgroup2.devices.allow: c 10:200 rwm', 'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file'];

/** How long one CLI run or a daemon's way to all Ready may take before the lab gives up (today's code is slow). */
const PATIENCE_MS = 60 * 60_000;

/** `"100x1,100x10"` → shapes; throws on anything else. */
export function parseScaleShapes(text: string): ScaleShape[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^(\d+)x(\d+)$/.exec(part);
      if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`scale "${part}": expected CONTAINERSxHOSTS, e.g. 100x10`);
      return { containers: Number(m[1]), hosts: Number(m[2]) };
    });
}

export const shapeLabel = (shape: ScaleShape): string => `${shape.containers}x${shape.hosts}`;

/** Resources in a shape's manifests, Hosts included: per Host, N LxcDevice, a keepalive and a data tree. */
export const resourceCount = (shape: ScaleShape): number => shape.hosts * (shape.containers + 3);

export const hostNameOf = (index: number): string => `pve-${index + 1}`;
export const vmidsOf = (shape: ScaleShape): number[] => Array.from({ length: shape.containers }, (_, i) => FIRST_VMID + i);

/** Login of a Host manifest's `ssh` block for a test sshd. */
function sshSpecOf(server: TestSshd): Record<string, unknown> {
  return { address: '127.0.0.1', port: server.port, user: server.user, identityFile: server.identityFile, knownHostsFile: server.knownHostsFile };
}

/** The manifest documents of one Host and everything on it, and their keys (`Kind/name`). */
export function hostManifests(shape: ScaleShape, index: number, root: string, server: TestSshd): { text: string; keys: string[] } {
  const host = hostNameOf(index);
  const docs: Array<[string, string, object]> = [
    ['Host', host, { platform: 'proxmox', root, ssh: sshSpecOf(server) }],
    ...vmidsOf(shape).map((vmid): [string, string, object] => [
      'LxcDevice',
      `${host}-ct${vmid}`,
      { host, container: String(vmid), devices: [{ preset: 'tun' }], style: 'raw' },
    ]),
    ['StorageKeepalive', `hdd-${host}`, { host, path: '/mnt/hdd', interval: '5m', mode: 'cron', requireMountpoint: false }],
    ['UnifiedNamespace', `data-${host}`, { host, root: '/data', layout: 'trash', directories: ['backups'], mode: '2775' }],
  ];
  return { text: docs.map(([kind, name, spec]) => manifestDoc(kind, name, spec)).join('---\n'), keys: docs.map(([kind, name]) => `${kind}/${name}`) };
}

/** Empties `root` and seeds it: N stopped CTs, /dev/net/tun, /mnt/hdd, /etc/cron.d, an empty /sys/fs/cgroup/lxc. */
export function seedRoot(root: string, shape: ScaleShape): void {
  rmSync(root, { recursive: true, force: true });
  const lxcDir = join(root, 'etc/pve/lxc');
  // sys/fs/cgroup/lxc: Proxmox's running-CT cgroups (test/support/pct/cgroup-folders.mjs), here empty: no CT runs.
  const folders = [lxcDir, join(root, 'dev/net'), join(root, 'mnt/hdd'), join(root, 'etc/cron.d'), join(root, 'sys/fs/cgroup/lxc')];
  for (const dir of folders) mkdirSync(dir, { recursive: true });
  const map: Record<string, string> = {};
  for (const vmid of vmidsOf(shape)) {
    const conf = join(lxcDir, `${vmid}.conf`);
    writeFileSync(conf, minimalPveConfig(vmid));
    chmodSync(conf, 0o640);
    map[vmid] = `hs-test-absent-${process.pid}-${vmid}`; // never created: `pct status` answers stopped
  }
  writeFileSync(join(root, 'etc/pve/.standin.json'), `${JSON.stringify(map, null, 2)}\n`);
  execFileSync('mknod', [join(root, 'dev/net/tun'), 'c', '10', '200']);
}

export interface ScaleHost {
  name: string;
  /** The Host's sandbox root on this machine (`spec.root`), also the pct stand-in's. */
  root: string;
  sshd: TestSshd;
}

export interface ScaleLab {
  readonly shape: ScaleShape;
  readonly dir: string;
  readonly manifests: string;
  /** The current state directory (a new one after every `reset()`). */
  readonly state: string;
  readonly hosts: readonly ScaleHost[];
  /** `Kind/name` of every resource in the manifests, Hosts included. */
  readonly keys: readonly string[];
  /** Fresh roots (seeded again) and a fresh state directory. No daemon may be running. */
  reset(): void;
  /** The built CLI once on this lab's manifests and state (`apply`, `diff`, `get`...), whole process; no --timeout short of an hour. */
  homeostat(...args: string[]): CliRun;
  /** `homeostat run` on this lab (HTTP on a free loopback port), in its own process group. */
  startDaemon(): DaemonProcess;
  /** Polls the daemon's HTTP API until every resource of the lab is Ready; the views then. */
  waitAllReady(daemon: DaemonProcess, timeoutMs?: number): Promise<ResourceView[]>;
  cleanup(): Promise<void>;
}

export function scaleLabAvailable(): boolean {
  return sshdAvailable() && existsSync('/usr/bin/mknod');
}

export async function createScaleLab(shape: ScaleShape): Promise<ScaleLab> {
  const dir = mkdtempSync(join(tmpdir(), `homeostat-scale-${shapeLabel(shape)}-`));
  const manifests = join(dir, 'manifests');
  mkdirSync(manifests);
  const hosts: ScaleHost[] = [];
  const daemons: DaemonProcess[] = [];
  let stateCount = 0;
  let state = join(dir, 'state-0');
  const cleanup = async (): Promise<void> => {
    await Promise.all(daemons.map((daemon) => daemon.kill()));
    await Promise.all(hosts.map((host) => host.sshd.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const keys: string[] = [];
    for (let i = 0; i < shape.hosts; i++) {
      const root = join(dir, `root-${i + 1}`);
      seedRoot(root, shape);
      const sshd = await startSshd({ env: pctSshdEnv(root) });
      hosts.push({ name: hostNameOf(i), root, sshd });
      const docs = hostManifests(shape, i, root, sshd);
      writeFileSync(join(manifests, `${hostNameOf(i)}.yaml`), docs.text);
      keys.push(...docs.keys);
    }
    return {
      shape,
      dir,
      manifests,
      get state() {
        return state;
      },
      hosts,
      keys,
      reset() {
        for (const host of hosts) seedRoot(host.root, shape);
        rmSync(state, { recursive: true, force: true });
        state = join(dir, `state-${++stateCount}`);
      },
      homeostat(...args) {
        const patience = args[0] === 'apply' || args[0] === 'diff' ? ['--timeout', `${PATIENCE_MS / 60_000}m`] : [];
        return runCli([...args, '--manifests', manifests, '--state', state, ...patience], process.env, PATIENCE_MS);
      },
      startDaemon() {
        const daemon = spawnDaemon(['--manifests', manifests, '--state', state, '--listen', '127.0.0.1:0'], process.env);
        daemons.push(daemon);
        return daemon;
      },
      waitAllReady: (daemon, timeoutMs = PATIENCE_MS) => waitAllReady(daemon, state, keys, timeoutMs),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The URL the daemon announced in `<state>/daemon.json`, once it has. */
function announcedUrl(state: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(state, 'daemon.json'), 'utf8')) as { url: string }).url;
  } catch {
    return undefined;
  }
}

/**
 * Polls the daemon's `/metrics` (the `homeostat_resources_ready` gauge, what a Prometheus scrape sees: a few
 * lines, so polling it every 50 ms costs the daemon next to nothing) until every resource counts as Ready; then
 * reads the views once from `/api/v1/resources` and checks each key is Ready there too.
 */
async function waitAllReady(daemon: DaemonProcess, state: string, keys: readonly string[], timeoutMs: number): Promise<ResourceView[]> {
  const deadline = Date.now() + timeoutMs;
  let readyCount = 0;
  for (;;) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`the daemon exited before all was Ready:\n${daemon.output()}`);
    }
    const url = announcedUrl(state);
    if (url) {
      const reply = await fetch(`${url}/metrics`).catch(() => undefined);
      if (reply?.ok) {
        readyCount = readyInMetrics(await reply.text());
        if (readyCount >= keys.length) {
          const views = ((await (await fetch(`${url}/api/v1/resources`)).json()) as { items: ResourceView[] }).items;
          const ready = new Set(views.filter((v) => v.ready === 'True').map((v) => `${v.kind}/${v.name}`));
          if (keys.every((key) => ready.has(key))) return views;
        }
      }
    }
    if (Date.now() > deadline) throw new Error(`not all Ready within ${timeoutMs} ms (${readyCount} of ${keys.length} Ready)`);
    await sleep(50);
  }
}

/** The daemon's own view of its memory (`homeostat_process_memory_bytes` on /metrics), in MB. */
export async function daemonMemory(lab: Pick<ScaleLab, 'state'>): Promise<Record<'rss' | 'heapUsed' | 'heapTotal' | 'external', number>> {
  const url = announcedUrl(lab.state);
  if (!url) throw new Error('the daemon has not announced its URL');
  const text = await (await fetch(`${url}/metrics`)).text();
  const area = (name: string) => {
    const m = new RegExp(`^homeostat_process_memory_bytes\\{area="${name}"\\} (\\d+)$`, 'm').exec(text);
    if (!m) throw new Error(`/metrics has no homeostat_process_memory_bytes{area="${name}"}`);
    return Math.round(Number(m[1]) / 1e5) / 10;
  };
  return { rss: area('rss'), heapUsed: area('heapUsed'), heapTotal: area('heapTotal'), external: area('external') };
}

/** The sum of `homeostat_resources_ready{status="True"}` over kinds. */
function readyInMetrics(text: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('homeostat_resources_ready{') && line.includes('status="True"')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** SIGTERM to the daemon, then waits for it to exit (SIGKILL to its group after `graceMs`); the exit signal. */
export async function stopDaemon(daemon: DaemonProcess, graceMs = 60_000): Promise<NodeJS.Signals | null> {
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return daemon.exited;
  daemon.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const outcome = await Promise.race([daemon.exited.then(() => 'exited' as const), late]);
  clearTimeout(timer);
  return outcome === 'late' ? daemon.kill() : daemon.exited;
}
