/**
 * The quick tour (`npm start`): the daemon on manifests/sandbox with a root seeded as `npm start` seeds it. All four
 * kinds are there: LxcDevice's edit of the seeded Proxmox config converges (the TUN lines in the main section; the
 * description, the hand-pasted lines, the pending change and the snapshot kept byte for byte), StorageKeepalive and
 * UnifiedNamespace are Ready, and VpnSidecar is not Ready with a reason that says what is missing: no Docker engine
 * (an unreachable socket), or an image that cannot be pulled (a registry on loopback that refuses). Nothing is
 * written outside the sandbox root.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import { SANDBOX_CT_CONF, SANDBOX_CT_CONFIG } from '../../controller/cli/sandbox.js';
import { startDaemon, type Daemon } from '../../controller/runtime/daemon.js';
import { listResourceViews, type ResourceView } from '../../controller/status/views.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { allReconcilers } from '../../reconcilers/index.js';
import { dockerd } from '../support/docker.js';
import { integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';
import { createSandboxLab, type SandboxLab, type SandboxLabOptions } from './sandbox-lab.js';

const asRoot = integration('mknod', process.getuid?.() === 0, 'the sandbox device nodes are made with mknod, which needs root');

const TUN_LINES = ['lxc.cgroup2.devices.allow: c 10:200 rwm', 'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file'];
/** What the daemon makes of CT 100's config: the TUN lines after the main section's last line, nothing else changed. */
const CONVERGED_CONFIG = SANDBOX_CT_CONFIG.replace('lxc.idmap: g 0 100000 65536\n', `lxc.idmap: g 0 100000 65536\n${TUN_LINES.join('\n')}\n`);
const READY = ['Host/local', 'LxcDevice/media-passthrough', 'StorageKeepalive/hdd', 'StorageKeepalive/hdd-cron', 'UnifiedNamespace/data'];
/** Files the sandbox writes, as the real root would have them: they must stay as they were. */
const REAL_ROOT_PATHS = ['/etc/cron.d/homeostat-hdd-cron', '/mnt/hdd/.homeostat-keepalive', '/run/lock/lxc/pve-config-100.lock'];

let lab: SandboxLab | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  lab?.cleanup();
  lab = undefined;
});

const realRootBefore = () => REAL_ROOT_PATHS.map((p) => (existsSync(p) ? statSync(p).mtimeMs : null));

async function startSandbox(opts: SandboxLabOptions): Promise<(key: string) => ResourceView | undefined> {
  lab = createSandboxLab(opts);
  expect(lab.seed.missingDevices).toEqual([]);
  daemon = await startDaemon({ manifestsDir: lab.manifests, stateDir: lab.state, log: silentLogger, reconcilers: allReconcilers, listen: { host: '127.0.0.1', port: 0 } });
  const d = daemon;
  return (key) => listResourceViews(d.store).find((v) => `${v.kind}/${v.name}` === key);
}

async function expectTourConverged(view: (key: string) => ResourceView | undefined): Promise<void> {
  for (const key of READY) await waitUntil(`${key} Ready`, () => view(key)?.ready === 'True', 15_000);
  expect(readFileSync(lab!.real(SANDBOX_CT_CONF), 'utf8')).toBe(CONVERGED_CONFIG);
  expect(statSync(lab!.real(SANDBOX_CT_CONF)).mode & 0o7777).toBe(0o640);
  expect(view('LxcDevice/media-passthrough')?.fields).toMatchObject({
    containerRunning: false,
    managedLines: TUN_LINES,
    adoptedLines: ['lxc.cgroup2.devices.allow: c 226:0 rwm', 'lxc.cgroup2.devices.allow: c 226:128 rwm', 'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir'],
  });
  expect(existsSync(lab!.real('/etc/cron.d/homeostat-hdd-cron'))).toBe(true);
  expect(existsSync(lab!.real('/data/media/movies'))).toBe(true);
}

asRoot.describe('the sandbox `npm start` runs', () => {
  asRoot.it('shows all four kinds: the config edit converges; without a Docker engine VpnSidecar says so and nothing else fails', async () => {
    const before = realRootBefore();
    const socket = '/nonexistent/homeostat-sandbox/docker.sock';
    const view = await startSandbox({ dockerSocket: socket });
    await expectTourConverged(view);
    await waitUntil('VpnSidecar not Ready: DockerUnreachable', () => view('VpnSidecar/media-vpn')?.status === 'DockerUnreachable', 15_000);
    const vpn = view('VpnSidecar/media-vpn')!;
    expect(vpn.ready).toBe('False');
    expect(vpn.message).toContain(socket);
    // Still Ready after the VpnSidecar's retries: one resource's missing component fails nothing else.
    for (const key of READY) expect(view(key)?.ready, key).toBe('True');
    expect(realRootBefore()).toEqual(before);
  });

  dockerd.it('with Docker but an image that cannot be pulled, VpnSidecar says ImagePullFailed and nothing else fails', async () => {
    // 127.0.0.1:9 (discard) refuses connections: a pull that fails at once, without the internet.
    const view = await startSandbox({
      images: {
        'qmcgaw/gluetun:v3.40.0': '127.0.0.1:9/homeostat-sandbox/gluetun:absent',
        'lscr.io/linuxserver/qbittorrent:latest': '127.0.0.1:9/homeostat-sandbox/qbittorrent:absent',
      },
    });
    await expectTourConverged(view);
    await waitUntil('VpnSidecar not Ready: ImagePullFailed', () => view('VpnSidecar/media-vpn')?.status === 'ImagePullFailed', 30_000);
    expect(view('VpnSidecar/media-vpn')?.message).toContain('127.0.0.1:9/homeostat-sandbox/');
    for (const key of READY) expect(view(key)?.ready, key).toBe('True');
  }, 60_000);
});
