/**
 * A sandboxed Proxmox CT for tests that write into its config: `/etc/pve/lxc/100.conf` in a sandbox root, as a
 * person wrote it (a description, their own device line, a pending section and a snapshot), mode 0640 as on
 * Proxmox, and mapped by the `pct` stand-in (test/support/pct) to a container that does not exist, so `pct status`
 * says stopped: configs are edited and nothing restarts.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The CT's config, as a host path. */
export const CT_CONF = '/etc/pve/lxc/100.conf';

/** A config a person wrote: what homeostat must give back byte for byte once its lines are gone. */
export const HUMAN_CONFIG = [
  '#Media stack',
  'arch: amd64',
  'cores: 2',
  'hostname: media',
  'lxc.cgroup2.devices.allow: c 188:* rwm',
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

/** Writes CT 100's config (`config`, the person's by default) into sandbox `root`, mapped to no container. */
export function seedStoppedCt(root: string, config = HUMAN_CONFIG): void {
  const conf = join(root, CT_CONF);
  mkdirSync(dirname(conf), { recursive: true });
  writeFileSync(conf, config);
  chmodSync(conf, 0o640);
  writeFileSync(join(root, '/etc/pve/.standin.json'), JSON.stringify({ 100: `hs-test-absent-${process.pid}` }));
}
