/**
 * Docker helpers for integration tests against the real engine: test images imported from busybox-static
 * (no registry: a tiny rootfs with /bin/busybox and its applet links, `docker import`ed once per run),
 * unique names per test, looking inside containers the way a user would (`docker exec ... ip -o link`,
 * `/proc/<pid>/ns/net`), and cleanup of every container a test made, each by id, also on failure.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { integration } from './integration.js';

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const BUSYBOX = '/bin/busybox';

/** The gateway image in tests: busybox, no volumes. Its command sleeps and exits promptly on SIGTERM. */
export const TEST_IMAGE = 'homeostat-test/busybox:1';
/** An app image for dependents: the same, with an anonymous volume at /config (as many app images have). */
export const TEST_APP_IMAGE = 'homeostat-test/app:1';
/** Label on containers a test creates by hand (a human's containers), so that cleanup finds them. */
export const TEST_LABEL = 'dev.homeostat.test';

export const dockerd = integration(
  'dockerd',
  existsSync(DOCKER_SOCKET) && existsSync(BUSYBOX),
  `needs a Docker engine at ${DOCKER_SOCKET} and busybox-static at ${BUSYBOX}`,
);

export function testDocker(): Docker {
  return new Docker({ socketPath: DOCKER_SOCKET });
}

/** A short random suffix for names that must not collide with other runs. */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

const SLEEP_FOREVER = ['sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 1 & wait $!; done"];

/** Imports the test images unless present (idempotent). */
export function ensureTestImages(): void {
  const missing = [TEST_IMAGE, TEST_APP_IMAGE].filter((image) => !imageExists(image));
  if (missing.length === 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-rootfs-'));
  try {
    const root = join(dir, 'root');
    for (const d of ['bin', 'tmp', 'proc', 'sys', 'dev', 'etc', 'config', 'www']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', join(root, 'bin', applet));
    const tar = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    const cmd = `CMD ${JSON.stringify(SLEEP_FOREVER)}`;
    if (missing.includes(TEST_IMAGE)) execFileSync('docker', ['import', '--change', cmd, tar, TEST_IMAGE], { stdio: 'ignore' });
    if (missing.includes(TEST_APP_IMAGE)) {
      execFileSync('docker', ['import', '--change', cmd, '--change', 'VOLUME ["/config"]', tar, TEST_APP_IMAGE], { stdio: 'ignore' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function imageExists(image: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes every container labelled as a VpnSidecar resource's or as a test's (`dev.homeostat.test=<tag>`),
 * and those with the given names, each by id, with its anonymous volumes. (Only tests remove volumes:
 * homeostat never does.)
 */
export async function removeTestContainers(docker: Docker, opts: { owners?: string[]; tag?: string; names?: string[] }): Promise<void> {
  const filters: Array<Record<string, string[]>> = [];
  for (const owner of opts.owners ?? []) filters.push({ label: [`dev.homeostat.owner=${owner}`] });
  if (opts.tag) filters.push({ label: [`${TEST_LABEL}=${opts.tag}`] });
  for (const name of opts.names ?? []) filters.push({ name: [`^/${name}$`] });
  const ids = new Set<string>();
  for (const f of filters) for (const c of await docker.listContainers({ all: true, filters: f })) ids.add(c.Id);
  // Anonymous volumes (64 hex digits) go too, also those a recreate carried over by name.
  const volumes = new Set<string>();
  await Promise.all(
    [...ids].map(async (id) => {
      const info = await docker.getContainer(id).inspect().catch(() => null);
      for (const m of info?.Mounts ?? []) if (m.Type === 'volume' && m.Name && /^[0-9a-f]{64}$/.test(m.Name)) volumes.add(m.Name);
      await docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    }),
  );
  await Promise.all([...volumes].map((v) => docker.getVolume(v).remove().catch(() => undefined)));
}

/** `docker exec`: stdout, or throws with stderr. */
export function dockerExec(container: string, argv: string[]): string {
  return execFileSync('docker', ['exec', container, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Interface names inside a container, as `ip -o link` shows them (`lo`, `eth0`). */
export function interfacesIn(container: string): string[] {
  return dockerExec(container, ['ip', '-o', 'link'])
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':')[1]!.trim().split('@')[0]!);
}

/** The network namespace a container's main process is in (inode of /proc/<pid>/ns/net), or null when it is not running. */
export async function netnsOf(docker: Docker, container: string): Promise<number | null> {
  const info = await docker.getContainer(container).inspect();
  if (!info.State.Running || !info.State.Pid) return null;
  try {
    return statSync(`/proc/${info.State.Pid}/ns/net`).ino;
  } catch {
    return null;
  }
}

/** What `readlink /proc/self/ns/net` says inside the container (`net:[4026532184]`). */
export function netnsInside(container: string): string {
  return dockerExec(container, ['readlink', '/proc/self/ns/net']).trim();
}

/** Runs a container "by hand" (as a human would), labelled for cleanup. Returns its id. */
export function runByHand(tag: string, name: string, args: string[], image = TEST_IMAGE): string {
  return execFileSync('docker', ['run', '-d', '--label', `${TEST_LABEL}=${tag}`, '--name', name, ...args, image], { encoding: 'utf8' }).trim();
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A Docker engine of the test's own (so that a test may restart it), in a network namespace of its own (its
 * loopback up): no bridge, no iptables, vfs storage, its own data and exec roots in a temp folder. `extraArgs` are
 * more dockerd flags (e.g. `-H tcp://127.0.0.1:2376 --tlsverify ...`: that loopback is the namespace's own).
 */
export interface PrivateDockerd {
  socketPath: string;
  docker: Docker;
  /** The daemon's pid while it runs (its network namespace is /proc/PID/ns/net). */
  readonly pid: number | undefined;
  /** SIGTERM to the daemon (by pid), wait for it to exit, start it again on the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateDockerd(images: string[] = [], extraArgs: string[] = []): Promise<PrivateDockerd> {
  const { spawn } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-dockerd-'));
  const socketPath = join(dir, 'docker.sock');
  const args = [
    '--data-root', join(dir, 'data'),
    '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${socketPath}`,
    '--bridge', 'none',
    '--iptables=false',
    '--ip-masq=false',
    '--storage-driver', 'vfs',
    ...extraArgs,
  ];
  const docker = new Docker({ socketPath });
  let child: ReturnType<typeof spawn> | null = null;
  const start = async () => {
    // In a network namespace of its own: with `--bridge none` dockerd deletes any interface named docker0 at start,
    // which must never be the host's (the main engine's) docker0.
    child = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec dockerd "$@"', 'sh', ...args], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await docker.ping();
        return;
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('the private dockerd did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const halt = async () => {
    const running = child;
    if (!running || running.exitCode !== null || !running.pid) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    process.kill(running.pid, 'SIGTERM');
    await exited;
    child = null;
  };
  await start();
  for (const image of images) {
    execFileSync('sh', ['-c', 'docker save "$1" | docker -H "unix://$2" load', 'sh', image, socketPath], { stdio: 'ignore' });
  }
  return {
    socketPath,
    docker,
    get pid() {
      return child?.pid;
    },
    async restart() {
      await halt();
      await start();
    },
    async stop() {
      for (const c of await docker.listContainers({ all: true }).catch(() => [])) {
        await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
      }
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
