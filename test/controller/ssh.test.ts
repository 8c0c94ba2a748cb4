/**
 * The controller driving a host over SSH (a real OpenSSH sshd on 127.0.0.1): converge, heal drift seen by
 * `inotifywait` over SSH, survive sshd being restarted mid-run, refuse an unknown host key.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { Daemon } from '../../controller/runtime/daemon.js';
import type { ResourceView } from '../../controller/status/views.js';
import { integration } from '../support/integration.js';
import { createLab, hostManifest, keepaliveManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { sshdAvailable, startSshd, type TestSshd } from '../support/sshd.js';
import { waitUntil } from '../support/wait.js';

const sshdSuite = integration('sshd', sshdAvailable(), 'openssh-server is not installed, or not root');

let sshd: TestSshd;
let lab: TestLab;
let daemon: Daemon | undefined;

function sshHost(root: string, ssh: Record<string, string | number | boolean>): string {
  const lines = Object.entries(ssh).map(([k, v]) => `    ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  return hostManifest('nas', root, `  ssh:\n${lines.join('\n')}\n`);
}

function view(key: string): ResourceView | undefined {
  return viewOf(daemon!, key);
}

async function start(): Promise<Daemon> {
  daemon = await startLabDaemon(lab);
  return daemon;
}

sshdSuite.describe('controller over SSH', () => {
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  beforeEach(() => {
    lab = createLab();
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    lab.cleanup();
  });

  sshdSuite.it('converges over SSH, heals drift seen by inotifywait, and survives sshd restarting mid-run', async () => {
    lab.writeManifest(
      'host.yaml',
      sshHost(lab.root, { address: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile }),
    );
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { host: 'nas', path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await start();
    const cron = lab.real('/etc/cron.d/homeostat-hdd');
    await waitUntil('Ready over SSH', () => view('StorageKeepalive/hdd')?.ready === 'True', 10_000);
    const wanted = readFileSync(cron, 'utf8');
    expect(view('Host/nas')?.ready).toBe('True');

    rmSync(cron);
    await waitUntil('healed through the SSH watch', () => existsSync(cron), 5_000);

    await sshd.restart();
    writeFileSync(cron, '# edited while sshd was restarting\n');
    await waitUntil('healed after sshd came back', () => existsSync(cron) && readFileSync(cron, 'utf8') === wanted, 20_000);
  }, 60_000);

  sshdSuite.it('refuses an unknown host key: the Host and its resources do not converge, nothing is written', async () => {
    lab.writeManifest('host.yaml', sshHost(lab.root, { address: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile }));
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { host: 'nas', path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await start();
    const host = await waitUntil('the Host reports the refused key', () => {
      const v = view('Host/nas');
      return v && v.ready === 'False' ? v : undefined;
    }, 10_000);
    expect(host.message).toMatch(/host key/i);
    expect(view('StorageKeepalive/hdd')?.ready).not.toBe('True');
    expect(existsSync(lab.real('/etc/cron.d/homeostat-hdd'))).toBe(false);
  }, 30_000);
});
