/**
 * `homeostat import host` end to end with the built CLI, on a seeded Proxmox sandbox root reached two ways (this
 * machine with `root`, and a loopback sshd): the import's manifests validate, `diff` with them exits 0, and
 * neither the import nor the diff changes a byte or an mtime under the root.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/built-cli.js';
import { importValidateDiff, treeState } from '../support/import-lab.js';
import { pctSshdEnv } from '../support/lxc.js';
import { sshdAvailable, sshLoginOf, startSshd, type TestSshd } from '../support/sshd.js';

/** CT 100 as a person wrote it: the seed's QuickSync and TUN lines, a USB line no preset or mount carries, sections. */
const CT100 = [
  '#Media stack',
  'arch: amd64',
  'hostname: media',
  'lxc.cgroup2.devices.allow: c 226:0 rwm',
  'lxc.cgroup2.devices.allow: c 226:128 rwm',
  'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
  'lxc.cgroup2.devices.allow: c 10:200 rwm',
  'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
  'lxc.cgroup2.devices.allow: c 188:* rwm',
  'lxc.apparmor.profile: unconfined',
  'mp0: /mnt/hdd/media,mp=/srv/media',
  'rootfs: local-lvm:vm-100-disk-0,size=8G',
  '',
  '[pve:pending]',
  'memory: 4096',
  '',
  '[before-upgrade]',
  'arch: amd64',
  'snaptime: 1717171717',
  '',
].join('\n');

/** CT 101: Proxmox 8.1's devN style. CT 102: nothing device-related. */
const CT101 = ['arch: amd64', 'dev0: /dev/dri/renderD128,gid=104,mode=0660', 'dev1: /dev/dri/card0,gid=104,mode=0660', 'hostname: jelly', ''].join('\n');
const CT102 = ['arch: amd64', 'hostname: plain', ''].join('\n');

function seedRoot(root: string): void {
  for (const dir of ['etc/pve/lxc', 'dev/dri', 'dev/net', 'mnt/hdd', 'etc/cron.d', 'sys/fs/cgroup/lxc']) mkdirSync(join(root, dir), { recursive: true });
  for (const [vmid, text] of [['100', CT100], ['101', CT101], ['102', CT102]] as const) {
    writeFileSync(join(root, `etc/pve/lxc/${vmid}.conf`), text);
    chmodSync(join(root, `etc/pve/lxc/${vmid}.conf`), 0o640);
  }
  writeFileSync(join(root, 'etc/pve/.standin.json'), JSON.stringify({ 100: `hs-test-absent-${process.pid}` }));
  execFileSync('mknod', [join(root, 'dev/dri/card0'), 'c', '226', '0']);
  execFileSync('mknod', [join(root, 'dev/dri/renderD128'), 'c', '226', '128']);
  execFileSync('mknod', [join(root, 'dev/net/tun'), 'c', '10', '200']);
  writeFileSync(join(root, 'etc/cron.d/keepalive'), '# keep the HDD awake\n*/5 * * * * root touch /mnt/hdd/.keepalive\n17 3 * * * root touch /mnt/hdd/.weird\n');
  writeFileSync(join(root, 'mnt/hdd/.keepalive'), ''); // cron touched it a moment ago
}

interface Lab {
  dir: string;
  root: string;
  manifests: string;
  state: string;
}

function newLab(hostSpec: (root: string) => object): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'hs-import-'));
  const lab = { dir, root: join(dir, 'root'), manifests: join(dir, 'manifests'), state: join(dir, 'state') };
  seedRoot(lab.root);
  mkdirSync(lab.manifests);
  const host = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Host', metadata: { name: 'pve' }, spec: hostSpec(lab.root) };
  writeFileSync(join(lab.manifests, 'host.yaml'), stringify(host));
  // An old mtime on the heartbeat would make it due: as the running cron line keeps it, it is fresh.
  const now = new Date();
  utimesSync(join(lab.root, 'mnt/hdd/.keepalive'), now, now);
  return lab;
}

const env = { ...process.env, HOMEOSTAT_STATE_DIR: '' };

function importThenDiff(lab: Lab): { imported: string } {
  const { imported, before } = importValidateDiff(lab, env);
  const after = treeState(lab.root);
  for (const vmid of ['100', '101', '102']) {
    const conf = `etc/pve/lxc/${vmid}.conf`;
    expect(after.get(conf)).toBe(before.get(conf)); // byte-identical, not even rewritten
  }
  return { imported };
}

function expectImported(imported: string): void {
  // The seed's lines as presets, the devN container in style dev, the keepalive in controller mode.
  expect(imported).toMatch(/kind: LxcDevice\nmetadata:\n  name: pve-ct100-devices\nspec:\n  host: pve\n  container: "100"\n  devices:\n    - preset: intel-quicksync\n    - preset: tun\n/);
  expect(imported).toMatch(/name: pve-ct101-devices\nspec:\n  host: pve\n  container: "101"\n  devices:\n    - preset: intel-quicksync\n  style: dev\n  gid: 104\n  mode: "0660"\n/);
  expect(imported).not.toContain('container: "102"');
  expect(imported).toMatch(/kind: StorageKeepalive\nmetadata:\n  name: pve-keepalive-mnt-hdd\nspec:\n  host: pve\n  path: \/mnt\/hdd\n  file: .keepalive\n  interval: 5m\n  method: touch\n  mode: controller\n  requireMountpoint: false\n/);
  // Where each came from, and what it did not carry, as comments.
  expect(imported).toContain('# Imported from pve:/etc/pve/lxc/100.conf, lines 4, 5, 6, 7, 8:');
  expect(imported).toContain('#   line 9: lxc.cgroup2.devices.allow: c 188:* rwm');
  expect(imported).toContain('#   line 10: lxc.apparmor.profile: unconfined');
  expect(imported).toContain('# Imported from pve:/etc/cron.d/keepalive, line 2:');
  expect(imported).toContain('# Not carried (left as it is), /etc/cron.d/keepalive line 3: 17 3 * * * root touch /mnt/hdd/.weird');
}

describe('homeostat import host', () => {
  const labs: Lab[] = [];
  afterAll(() => labs.forEach((lab) => rmSync(lab.dir, { recursive: true, force: true })));

  it('on this machine (a sandbox root): diff right after is empty, nothing rewritten', () => {
    const lab = newLab((root) => ({ platform: 'proxmox', root }));
    labs.push(lab);
    expectImported(importThenDiff(lab).imported);
  });

  it('names a Host that is not in the manifests: exit 1, nothing printed', () => {
    const lab = newLab((root) => ({ platform: 'proxmox', root }));
    labs.push(lab);
    const run = runCli(['import', 'host', 'nope', '--manifests', lab.manifests, '--state', lab.state], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no Host "nope"');
  });

  describe.skipIf(!sshdAvailable())('over SSH (loopback sshd)', () => {
    let server: TestSshd;
    let lab: Lab;
    beforeAll(async () => {
      lab = newLab(() => ({}));
      labs.push(lab);
      server = await startSshd({ env: pctSshdEnv(lab.root) });
      const host = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Host', metadata: { name: 'pve' }, spec: { platform: 'proxmox', root: lab.root, ssh: sshLoginOf(server) } };
      writeFileSync(join(lab.manifests, 'host.yaml'), stringify(host));
    }, 60_000);
    afterAll(async () => server?.stop());

    it('reads through the Host API: diff right after is empty, nothing rewritten', () => {
      expectImported(importThenDiff(lab).imported);
    });
  });
});
