/**
 * createHost: local hosts with roots relative to the manifest folder, SSH hosts with their files resolved
 * the same way and trust-on-first-use recording keys in the state directory.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, LocalHost, SshHost } from '../../reconcilers/host/index.js';
import { integration } from '../support/integration.js';
import { sshdAvailable, startSshd, type TestSshd } from '../support/sshd.js';

describe('createHost (local)', () => {
  it('carries the platform (default proxmox) for the reconcilers that need it', () => {
    expect(createHost('pve', {}, { baseDir: '/', stateDir: '/tmp' }).platform).toBe('proxmox');
    expect(createHost('box', { platform: 'lxc' }, { baseDir: '/', stateDir: '/tmp' }).platform).toBe('lxc');
  });

  it('builds a LocalHost, resolving a relative root against the manifest folder', () => {
    const host = createHost('sandbox', { root: '../sandbox-root' }, { baseDir: '/srv/manifests/lab', stateDir: '/var/lib/homeostat' });
    expect(host).toBeInstanceOf(LocalHost);
    expect(host.transport).toBe('local');
    expect(host.resolvePath('/etc/pve/lxc/100.conf')).toBe('/srv/manifests/sandbox-root/etc/pve/lxc/100.conf');
    expect(createHost('local', { root: '/' }, { baseDir: '/x', stateDir: '/y' }).resolvePath('/etc')).toBe('/etc');
    expect(createHost('local', {}, { baseDir: '/x', stateDir: '/y' }).name).toBe('local');
  });
});

const sshd = integration('sshd', sshdAvailable(), 'needs /usr/sbin/sshd, ssh-keygen and root');

sshd.describe('createHost (ssh)', () => {
  let server: TestSshd;
  let stateDir: string;
  beforeAll(async () => {
    server = await startSshd();
    stateDir = await mkdtemp(join(tmpdir(), 'homeostat-state-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('trusts on first use into <stateDir>/known_hosts, with the identity file relative to the manifest', async () => {
    const host = createHost(
      'pve',
      { platform: 'proxmox', ssh: { address: '127.0.0.1', port: server.port, user: server.user, identityFile: 'client_ed25519', trustOnFirstUse: true } },
      { baseDir: server.dir, stateDir },
    );
    try {
      expect(host).toBeInstanceOf(SshHost);
      expect((await host.exec(['echo', 'ok'])).stdout).toBe('ok\n');
      expect(existsSync(join(stateDir, 'known_hosts'))).toBe(true);
      expect(await readFile(join(stateDir, 'known_hosts'), 'utf8')).toContain(server.hostPublicKey);
    } finally {
      await host.close();
    }
  });
});
