/**
 * Real LXC containers for integration tests, and the glue to drive them through the `pct` stand-in.
 *
 *   const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create and the busybox template');
 *   afterAll(() => destroyAllTestContainers());
 *   const ct = await createTestContainer();          // busybox, no network, Proxmox-like device policy
 *   await ct.start(); await ct.attach(['test', '-e', '/dev/net/tun']);   // { code, stdout, stderr }
 *
 *   // Proxmox: CT 100 in sandbox root `root` is the real container `ct`
 *   linkPctContainer(root, 100, ct);                  // map + a minimal /etc/pve/lxc/100.conf (mode 0640)
 *   await runPct(root, ['reboot', '100']);            // or spawn `pct` with env pctEnv(root)
 *   const restore = usePctStandin(root);              // `pct` on PATH for this process (LocalHost.exec)
 *   await startSshd({ env: pctSshdEnv(root) });       // `pct` over SSH: the stand-in on that root
 *   existsSync(pctCgroupFolder(root, 100));           // Proxmox's /sys/fs/cgroup/lxc/100/: CT 100 runs
 *
 * Containers are named `hs-test-<pid>-<n><random>`; only the ones this process created are tracked and
 * destroyed (by name) by `destroyAllTestContainers()` and, as a last resort, on process exit.
 * Commands run through execFile/spawn with argv arrays, never a shell string.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { errorMessage } from '../../reconcilers/core/problem.js';

export const TEST_CONTAINER_PREFIX = 'hs-test-';
const LXC_PATH = '/var/lib/lxc';
const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type ContainerState = 'RUNNING' | 'STOPPED';

export interface TestContainer {
  /** Real LXC name (`hs-test-...`). */
  readonly name: string;
  /** `/var/lib/lxc/<name>/config` (real path). */
  readonly configPath: string;
  /** `/var/lib/lxc/<name>/rootfs` (real path of the container's `/`). */
  readonly rootfs: string;
  /** `lxc-start -d`, then waits for RUNNING (10 s); throws with LXC's error log when it does not start. */
  start(): Promise<void>;
  /** `lxc-stop --kill` (immediate); no-op when stopped. */
  stop(): Promise<void>;
  /** Stops and `lxc-destroy`s; idempotent. */
  destroy(): Promise<void>;
  state(): ContainerState;
  /** `lxc-attach -n <name> -- ...argv` with a plain system PATH; never throws on a non-zero exit. */
  attach(argv: string[], timeoutMs?: number): Promise<ExecResult>;
}

export interface TestContainerOptions {
  /** Extra raw config lines (`key = value`) appended at creation, after the template's own lines (so they win). */
  config?: string[];
  /**
   * `proxmox` (default): deny every device but the standard set, like Proxmox's/LXC's common.conf, so a
   * device needs an allow line to be usable. `open`: no device restriction.
   */
  devicePolicy?: 'proxmox' | 'open';
}

/** Root, lxc-create, the busybox template and busybox itself are present. */
export function lxcAvailable(): boolean {
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    ['/usr/bin/lxc-create', '/usr/bin/lxc-start', '/usr/bin/lxc-attach', '/usr/share/lxc/templates/lxc-busybox'].every((p) => existsSync(p)) &&
    (existsSync('/usr/bin/busybox') || existsSync('/bin/busybox'))
  );
}

/** Runs a program (argv, no shell) and collects its output; rejects only when it cannot run or times out. */
export function runCommand(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr });
    });
  });
}

const lxcEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: SYSTEM_PATH });
const lxcTool = (tool: string, args: string[], timeoutMs?: number) => runCommand(tool, args, { env: lxcEnv(), timeoutMs });

async function lxcOrThrow(tool: string, args: string[], timeoutMs?: number): Promise<ExecResult> {
  const result = await lxcTool(tool, args, timeoutMs);
  if (result.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  return result;
}

/** Current state of any container by name (`STOPPED` when it does not exist). */
export function containerState(name: string): ContainerState {
  const out = spawnSync('lxc-info', ['-n', name, '-s', '-H'], { encoding: 'utf8', env: lxcEnv() });
  return out.status === 0 && out.stdout.trim() === 'RUNNING' ? 'RUNNING' : 'STOPPED';
}

/** The devices-cgroup key LXC enforces on this machine: v1 (`lxc.cgroup.devices.*`) or v2 (`lxc.cgroup2.devices.*`). */
export function hostDeviceCgroup(): 'v1' | 'v2' {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  return lines.some((l) => /^\d+:([^:]*):/.exec(l)?.[1]?.split(',').includes('devices')) ? 'v1' : 'v2';
}

/** The standard device set of LXC's common.conf (and Proxmox's): everything else is denied. */
const STANDARD_DEVICES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 10:229 rwm'];

function devicePolicyLines(policy: 'proxmox' | 'open'): string[] {
  if (policy === 'open') return [];
  return ['lxc.cgroup', 'lxc.cgroup2'].flatMap((prefix) => [
    `${prefix}.devices.deny = a`,
    ...STANDARD_DEVICES.map((rule) => `${prefix}.devices.allow = ${rule}`),
  ]);
}

const created = new Set<string>();
let counter = 0;
let exitHookInstalled = false;

/** Last resort when a test process ends without afterAll: stop and destroy what it created, synchronously. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const name of created) {
      spawnSync('lxc-stop', ['-n', name, '--kill'], { env: lxcEnv(), stdio: 'ignore' });
      spawnSync('lxc-destroy', ['-n', name], { env: lxcEnv(), stdio: 'ignore' });
    }
  });
}

function uniqueName(): string {
  return `${TEST_CONTAINER_PREFIX}${process.pid.toString(36)}-${(++counter).toString(36)}${randomBytes(2).toString('hex')}`;
}

function handle(name: string): TestContainer {
  const dir = join(LXC_PATH, name);
  const container: TestContainer = {
    name,
    configPath: join(dir, 'config'),
    rootfs: join(dir, 'rootfs'),
    async start() {
      const log = join(dir, 'test-start.log');
      rmSync(log, { force: true });
      const started = await lxcTool('lxc-start', ['-n', name, '-d', '-l', 'ERROR', '-o', log]);
      const waited = started.code === 0 ? await lxcTool('lxc-wait', ['-n', name, '-s', 'RUNNING', '-t', '10']) : started;
      if (waited.code !== 0 || containerState(name) !== 'RUNNING') {
        const logText = existsSync(log) ? readFileSync(log, 'utf8').trim() : '';
        throw new Error(`container ${name} did not start: ${[started.stderr.trim(), logText].filter(Boolean).join('\n')}`);
      }
    },
    async stop() {
      if (containerState(name) === 'STOPPED') return;
      await lxcOrThrow('lxc-stop', ['-n', name, '--kill']);
    },
    async destroy() {
      if (existsSync(join(dir, 'config'))) {
        await container.stop();
        await lxcOrThrow('lxc-destroy', ['-n', name]);
      }
      created.delete(name);
    },
    state: () => containerState(name),
    attach: (argv, timeoutMs) => runCommand('lxc-attach', ['-n', name, '--', ...argv], { env: { PATH: SYSTEM_PATH }, timeoutMs }),
  };
  return container;
}

/**
 * Creates (does not start) a busybox container with `lxc.net.0.type = empty` and no other network lines,
 * unconfined AppArmor, the device policy, and `lxc.signal.halt = SIGKILL` (clean shutdowns are instant;
 * pass `config: ['lxc.signal.halt = SIGUSR1']` for busybox's real 2 s halt), then the pct stand-in's two
 * cgroup-folder hooks (test/support/pct/cgroup-folders.mjs). The name is unique and tracked for
 * `destroyAllTestContainers()`.
 */
export async function createTestContainer(opts: TestContainerOptions = {}): Promise<TestContainer> {
  const extra = opts.config ?? [];
  for (const line of extra) {
    if (/[\n\r]/.test(line)) throw new Error(`createTestContainer: config line contains a newline: ${JSON.stringify(line)}`);
    if (/^\s*lxc\.net\./.test(line)) throw new Error(`createTestContainer: test containers have no network (${line})`);
  }
  const name = uniqueName();
  const lines = ['lxc.net.0.type = empty', 'lxc.apparmor.profile = unconfined', ...devicePolicyLines(opts.devicePolicy ?? 'proxmox')];
  const tmp = await mkdtemp(join(tmpdir(), 'hs-lxc-'));
  installExitHook();
  created.add(name);
  try {
    await writeFile(join(tmp, 'config'), `${lines.join('\n')}\n`);
    await lxcOrThrow('lxc-create', ['-n', name, '-t', 'busybox', '-f', join(tmp, 'config')], 120_000);
    // After the template's own lines, so they win: busybox init's clean halt takes 2 s, SIGKILL is instant.
    await appendFile(join(LXC_PATH, name, 'config'), ['lxc.signal.halt = SIGKILL', ...extra].map((l) => `${l}\n`).join(''));
    // From its first start on, the container keeps the Proxmox cgroup folders it is linked to in step (linkPctContainer).
    cgroupFolders.installCgroupHooks(join(LXC_PATH, name));
  } catch (error) {
    await handle(name).destroy().catch(() => undefined);
    throw error;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return handle(name);
}

/** Destroys (by name) every container this process created and has not destroyed yet. Never touches others. */
export async function destroyAllTestContainers(): Promise<void> {
  const failures: string[] = [];
  for (const name of [...created]) {
    try {
      await handle(name).destroy();
    } catch (error) {
      failures.push(`${name}: ${errorMessage(error)}`);
    }
  }
  if (failures.length) throw new Error(`could not destroy test containers:\n${failures.join('\n')}`);
}

/** Names this process created and has not destroyed yet. */
export function trackedTestContainers(): string[] {
  return [...created];
}

// ---- the pct stand-in -------------------------------------------------------------------------------

function findStandinDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'pct'), join(here, '..', '..', '..', 'test', 'support', 'pct')];
  return candidates.find((dir) => existsSync(join(dir, 'pct'))) ?? candidates[0]!;
}

/** Folder holding the `pct` stand-in executable; prefix PATH with it. */
export const PCT_STANDIN_DIR = findStandinDir();

/**
 * The stand-in's own emulation of Proxmox's cgroup folders (one owner: `pct` uses it too), loaded from
 * PCT_STANDIN_DIR because the build does not copy plain `.mjs` files into dist/.
 */
const cgroupFolders: typeof import('./pct/cgroup-folders.mjs') = await import(pathToFileURL(join(PCT_STANDIN_DIR, 'cgroup-folders.mjs')).href);

/** Environment under which `pct` is the stand-in acting on sandbox `root`. */
export function pctEnv(root: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, PATH: `${PCT_STANDIN_DIR}:${base.PATH ?? SYSTEM_PATH}`, PCT_STANDIN_ROOT: root };
}

/** The PATH sshd gives a uid-0 session (OpenSSH's SUPERUSER_PATH on Debian). */
const SSHD_ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * What a test sshd's sessions need for `pct` to be the stand-in acting on sandbox `root`:
 * `startSshd({ env: pctSshdEnv(root) })`. PATH is the stand-in's folder, node's folder when sshd's own PATH
 * for root lacks it (for the stand-in's `#!/usr/bin/env node`), then that PATH; PCT_STANDIN_DELAY_MS is
 * passed on when this process sets it.
 */
export function pctSshdEnv(root: string): Record<string, string> {
  const system = SSHD_ROOT_PATH.split(':');
  const node = dirname(process.execPath);
  const path = [PCT_STANDIN_DIR, ...(system.includes(node) ? [] : [node]), ...system].join(':');
  const env: Record<string, string> = { PATH: path, PCT_STANDIN_ROOT: root };
  if (process.env.PCT_STANDIN_DELAY_MS !== undefined) env.PCT_STANDIN_DELAY_MS = process.env.PCT_STANDIN_DELAY_MS;
  return env;
}

/**
 * Makes `pct` the stand-in for this process and its children (LocalHost.exec inherits process.env):
 * prefixes PATH and sets PCT_STANDIN_ROOT. Returns a function restoring both.
 */
export function usePctStandin(root: string): () => void {
  const saved = { PATH: process.env.PATH, PCT_STANDIN_ROOT: process.env.PCT_STANDIN_ROOT };
  const env = pctEnv(root);
  process.env.PATH = env.PATH;
  process.env.PCT_STANDIN_ROOT = root;
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** Real path of `/etc/pve/lxc/<vmid>.conf` in sandbox `root`. */
export function pctConfigPath(root: string, vmid: number | string): string {
  return join(root, 'etc/pve/lxc', `${vmid}.conf`);
}

/** A minimal, realistic main section for a CT (the stand-in ignores everything but lxc.*, devN, mpN, lock). */
export function minimalPveConfig(vmid: number | string): string {
  return [
    'arch: amd64',
    'cores: 1',
    `hostname: ct${vmid}`,
    'memory: 512',
    'ostype: debian',
    `rootfs: local-lvm:vm-${vmid}-disk-0,size=4G`,
    'swap: 512',
    '',
  ].join('\n');
}

/** Real path of Proxmox's running-state folder of CT `vmid` in sandbox `root`: `<root>/sys/fs/cgroup/lxc/<vmid>`. */
export function pctCgroupFolder(root: string, vmid: number | string): string {
  return cgroupFolders.cgroupFolder(root, vmid);
}

/**
 * Maps CT `vmid` of sandbox `root` to the real container (in `<root>/etc/pve/.standin.json`) and writes
 * `<root>/etc/pve/lxc/<vmid>.conf` (mode 0640) with `config`, or a minimal config when none exists yet.
 * From then on `<root>/sys/fs/cgroup/lxc/<vmid>/` exists exactly while that container runs, as on a
 * cgroup-v2 Proxmox host: it is made now when the container already runs, and LXC hooks keep it in step
 * (`<root>/sys/fs/cgroup/lxc/` itself is made now and stays). A CT mapped to another container before no
 * longer follows that one. Throws for a running container without the hooks (not from createTestContainer):
 * its LXC monitor would never remove the folder. Returns the config's real path.
 */
export function linkPctContainer(root: string, vmid: number | string, container: Pick<TestContainer, 'name'>, config?: string): string {
  const { cgroupHooksInstalled, installCgroupHooks, matchCgroupFolder, registerCgroupFolder, unregisterCgroupFolder } = cgroupFolders;
  const folder = pctCgroupFolder(root, vmid);
  const dir = join(LXC_PATH, container.name);
  const exists = existsSync(join(dir, 'config'));
  const running = exists && containerState(container.name) === 'RUNNING';
  if (running && !cgroupHooksInstalled(dir)) {
    throw new Error(`linkPctContainer: ${container.name} runs without the pct stand-in's cgroup hooks (LXC reads hooks only at start): link it while it is stopped`);
  }
  const mapFile = join(root, 'etc/pve/.standin.json');
  mkdirSync(join(root, 'etc/pve/lxc'), { recursive: true });
  const map = existsSync(mapFile) ? (JSON.parse(readFileSync(mapFile, 'utf8')) as Record<string, string>) : {};
  const previous = map[String(vmid)];
  map[String(vmid)] = container.name;
  writeFileSync(`${mapFile}.tmp`, `${JSON.stringify(map, null, 2)}\n`);
  renameSync(`${mapFile}.tmp`, mapFile);
  const confPath = pctConfigPath(root, vmid);
  if (config !== undefined || !existsSync(confPath)) writeFileSync(confPath, config ?? minimalPveConfig(vmid), { mode: 0o640 });
  if (previous !== undefined && previous !== container.name) unregisterCgroupFolder(join(LXC_PATH, previous), folder);
  mkdirSync(dirname(folder), { recursive: true });
  if (exists) {
    installCgroupHooks(dir);
    registerCgroupFolder(dir, folder);
  }
  matchCgroupFolder(folder, running);
  return confPath;
}

/** Runs the `pct` stand-in on sandbox `root`; resolves with its exit code and output. */
export function runPct(root: string, argv: string[], timeoutMs = 120_000): Promise<ExecResult> {
  return runCommand(join(PCT_STANDIN_DIR, 'pct'), argv, { env: pctEnv(root), timeoutMs });
}
