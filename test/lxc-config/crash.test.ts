/**
 * kill -9 between a config write and the end of apply, for both kinds that write into container configs
 * (LxcDevice, and UnifiedNamespace's shareInto), through the built daemon as a real process: whatever moment
 * the crash hits, deleting the resource afterwards removes every line homeostat wrote, and the config gets its
 * original bytes back (the human's lines, the pending section and the snapshot untouched).
 *
 * The daemon is killed the moment the line is in the file, while the write's exec is still held open (see
 * crash-lab.ts), so the kill always lands after the write and before the daemon could record anything after
 * it. Writing first and recording after (what UnifiedNamespace once did) fails here: the line is then taken
 * for a human's and kept forever.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, expect } from 'vitest';
import { BUILT_CLI } from '../support/built-cli.js';
import { integration } from '../support/integration.js';
import { manifestDoc } from '../support/manifests.js';
import { HUMAN_CONFIG } from '../support/pve-fixtures.js';
import { createCrashLab, killWhenConfigHas, type CrashLab } from './crash-lab.js';

const built = integration('built CLI', existsSync(BUILT_CLI), 'run `npm run build` first (npm test does)');
const root = integration('root', process.getuid?.() === 0, 'device nodes (mknod) need root');

const HOST = (lab: CrashLab) => manifestDoc('Host', 'local', { platform: 'proxmox', root: lab.root });

interface Case {
  kind: string;
  name: string;
  manifest: string;
  /** The line the resource writes (the one the kill waits for). */
  line: string;
  /** Everything the resource writes, in file order, right after the main section's last line. */
  lines: string[];
  setup?(lab: CrashLab): void;
}

const CASES: Case[] = [
  {
    kind: 'LxcDevice',
    name: 'tun',
    manifest: manifestDoc('LxcDevice', 'tun', '{ container: "100", devices: [{ preset: tun }] }'),
    line: 'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
    lines: ['lxc.cgroup2.devices.allow: c 10:200 rwm', 'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file'],
    setup(lab) {
      mkdirSync(dirname(lab.real('/dev/net/tun')), { recursive: true });
      execFileSync('mknod', [lab.real('/dev/net/tun'), 'c', '10', '200']);
    },
  },
  {
    kind: 'UnifiedNamespace',
    name: 'data',
    manifest: manifestDoc('UnifiedNamespace', 'data', '{ root: /data, layout: none, shareInto: [{ container: "100" }] }'),
    line: 'mp1: /data,mp=/data',
    lines: ['mp1: /data,mp=/data'],
  },
];

let lab: CrashLab | undefined;
afterEach(() => {
  lab?.cleanup();
  lab = undefined;
});

const withOurs = (lines: string[]) => HUMAN_CONFIG.replace('size=8G\n', `size=8G\n${lines.join('\n')}\n`);

built.describe('a crash between the config write and the end of apply', () => {
  for (const c of CASES) {
    root.it(`${c.kind}: kill -9 right after the write; converging again adds nothing twice, deleting the resource restores the bytes`, async () => {
      lab = createCrashLab(HUMAN_CONFIG);
      c.setup?.(lab);
      lab.writeManifest('host.yaml', HOST(lab));
      lab.writeManifest('resource.yaml', c.manifest);

      const daemon = lab.startDaemon();
      const atCrash = await killWhenConfigHas(lab, daemon, c.line);
      expect(await daemon.exited).toBe('SIGKILL');
      expect(atCrash).toBe(withOurs(c.lines)); // the write landed, in the main section

      // The next controller converges without adding the line again...
      const again = lab.homeostat('apply', '--manifests', lab.manifests);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(lab.readConf()).toBe(withOurs(c.lines));

      // ...and knows the line as its own: deleting the resource removes it, byte for byte.
      lab.removeManifest('resource.yaml');
      const pruned = lab.homeostat('apply', '--manifests', lab.manifests);
      expect(pruned.stderr).toBe('');
      expect(pruned.code).toBe(0);
      expect(lab.readConf()).toBe(HUMAN_CONFIG);
      expect(lab.homeostat('get', c.kind).stdout).not.toContain(c.name);
    }, 60_000);
  }
});
