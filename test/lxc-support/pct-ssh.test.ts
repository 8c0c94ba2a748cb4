/**
 * `pct` over SSH is the stand-in acting on the Host's sandbox root: a test sshd started with
 * `{ env: pctSshdEnv(root) }` gives its sessions that PATH and PCT_STANDIN_ROOT (sshd_config SetEnv), and
 * several such sshds, one per root, run at once.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshHost } from '../../reconcilers/host/index.js';
import { integration } from '../support/integration.js';
import {
  PCT_STANDIN_DIR,
  createTestContainer,
  destroyAllTestContainers,
  linkPctContainer,
  lxcAvailable,
  minimalPveConfig,
  pctCgroupFolder,
  pctSshdEnv,
} from '../support/lxc.js';
import { sshdAvailable, sshdSetEnvLines, sshLoginOf, startSshd, type TestSshd } from '../support/sshd.js';

const sshd = integration('sshd', sshdAvailable(), 'openssh-server is not installed, or not root');
const lxcOverSsh = integration('lxc+sshd', sshdAvailable() && lxcAvailable(), 'needs sshd and LXC (root, lxc-create, busybox)');
const missing = (vmid: string): string => `Configuration file 'nodes/${hostname().split('.')[0]}/lxc/${vmid}.conf' does not exist\n`;

interface RemoteHost {
  root: string;
  server: TestSshd;
  host: SshHost;
}

const hosts: RemoteHost[] = [];

/** A sandbox root with a sshd of its own whose `pct` is the stand-in on that root, and an SshHost to it. */
async function remoteHost(name: string): Promise<RemoteHost> {
  const root = mkdtempSync(join(tmpdir(), `hs-pct-ssh-${name}-`));
  const server = await startSshd({ env: pctSshdEnv(root) });
  const host = new SshHost({ name, ...sshLoginOf(server), root, platform: 'proxmox' });
  const remote = { root, server, host };
  hosts.push(remote);
  return remote;
}

/** CT `vmid` of `root` standing for a container that does not exist (so it is stopped). */
function seedStoppedCt(root: string, vmid: string): void {
  mkdirSync(join(root, 'etc/pve/lxc'), { recursive: true });
  writeFileSync(join(root, 'etc/pve/lxc', `${vmid}.conf`), minimalPveConfig(vmid), { mode: 0o640 });
  writeFileSync(join(root, 'etc/pve/.standin.json'), JSON.stringify({ [vmid]: `hs-test-absent-${process.pid}` }));
}

afterAll(async () => {
  for (const { host, server, root } of hosts) {
    await host.close();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  await destroyAllTestContainers();
});

describe('sshdSetEnvLines', () => {
  it('puts every variable on the one SetEnv line sshd reads, quoted, and refuses what cannot be quoted', () => {
    expect(sshdSetEnvLines({})).toEqual([]);
    expect(sshdSetEnvLines({ PATH: '/a b:/usr/bin', PCT_STANDIN_ROOT: '/tmp/r' })).toEqual(['SetEnv "PATH=/a b:/usr/bin" "PCT_STANDIN_ROOT=/tmp/r"']);
    expect(() => sshdSetEnvLines({ X: 'say "hi"' })).toThrow(/cannot be quoted/);
    expect(() => sshdSetEnvLines({ X: 'a\nb' })).toThrow(/cannot be quoted/);
    expect(() => sshdSetEnvLines({ 'BAD-NAME': 'x' })).toThrow(/bad environment variable name/);
  });
});

sshd.describe('pct over a test sshd', () => {
  let a: RemoteHost;
  let b: RemoteHost;

  beforeAll(async () => {
    [a, b] = await Promise.all([remoteHost('pve-a'), remoteHost('pve-b')]);
    seedStoppedCt(a.root, '100');
    seedStoppedCt(b.root, '200');
  });

  it('sessions run as uid 0 with the stand-in first on PATH and the host`s own root', async () => {
    for (const { host, root } of [a, b]) {
      const shown = await host.exec(['sh', '-c', 'id -u; command -v pct; printf "%s\\n" "$PCT_STANDIN_ROOT"']);
      expect(shown).toEqual({ code: 0, stdout: `0\n${join(PCT_STANDIN_DIR, 'pct')}\n${root}\n`, stderr: '' });
    }
  });

  it('`pct status` acts on the root of the sshd it ran through, with two sshds running at once', async () => {
    const [onA, onB] = await Promise.all([a.host.exec(['pct', 'status', '100']), b.host.exec(['pct', 'status', '100'])]);
    expect(onA).toEqual({ code: 0, stdout: 'status: stopped\n', stderr: '' });
    expect(onB).toEqual({ code: 2, stdout: '', stderr: missing('100') });
    expect(await b.host.exec(['pct', 'status', '200'])).toEqual({ code: 0, stdout: 'status: stopped\n', stderr: '' });
    expect(await a.host.exec(['pct', 'status', '200'])).toEqual({ code: 2, stdout: '', stderr: missing('200') });
  });
});

lxcOverSsh.describe('pct over a test sshd on a real container', () => {
  it('starts and stops the real container of that root; its cgroup folder and pct status follow', async () => {
    const remote = await remoteHost('pve-ct');
    const container = await createTestContainer();
    linkPctContainer(remote.root, '300', container);
    expect(await remote.host.exec(['pct', 'start', '300'], { timeoutMs: 60_000 })).toMatchObject({ code: 0 });
    expect(container.state()).toBe('RUNNING');
    expect(existsSync(pctCgroupFolder(remote.root, '300'))).toBe(true);
    expect(await remote.host.exec(['pct', 'status', '300'])).toEqual({ code: 0, stdout: 'status: running\n', stderr: '' });
    expect(await remote.host.exec(['pct', 'stop', '300'], { timeoutMs: 60_000 })).toMatchObject({ code: 0 });
    expect(existsSync(pctCgroupFolder(remote.root, '300'))).toBe(false);
    expect(await remote.host.exec(['pct', 'status', '300'])).toEqual({ code: 0, stdout: 'status: stopped\n', stderr: '' });
  }, 90_000);
});
