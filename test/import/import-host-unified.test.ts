/**
 * `homeostat import host` for UnifiedNamespace, end to end with the built CLI, on seeded Proxmox sandbox roots
 * reached two ways (this machine with `root`, and a loopback sshd): a TRaSH /data tree (1000:1000, 2775) shared
 * into CT 100 with mp0, a tree with part of the layout shared at another path, and a tree whose folders disagree
 * on mode and owner; and on a plain LXC root (configs only: no container runs), a tree shared with
 * `lxc.mount.entry`. Each time the manifests validate, `diff` exits 0, and not a byte, mtime, ctime, mode or
 * owner under the root changes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { TRASH_LAYOUT } from '../../reconcilers/unified-namespace/index.js';
import { canMount } from '../support/integration.js';
import { importValidateDiff, treeState } from '../support/import-lab.js';
import { pctSshdEnv } from '../support/lxc.js';
import { sshdAvailable, sshLoginOf, startSshd, type TestSshd } from '../support/sshd.js';

const OWNER = 1000;

/** A folder tree under `root`: every path and its parents made, then each given its mode and owner (setgid kept). */
function folders(root: string, rels: readonly string[], mode = 0o2775, uid = OWNER, gid = OWNER): void {
  for (const rel of ['', ...rels]) {
    mkdirSync(join(root, rel), { recursive: true });
    const segments = rel.split('/').filter(Boolean);
    for (let i = 0; i <= segments.length; i++) {
      const path = join(root, ...segments.slice(0, i));
      chmodSync(path, mode);
      chownSync(path, uid, gid);
    }
  }
}

interface Seed {
  /** The Host's platform: Proxmox (`/etc/pve/lxc/VMID.conf`, the default) or plain LXC (`/var/lib/lxc/NAME/config`). */
  platform?: 'proxmox' | 'lxc';
  /** Container configs by VMID (Proxmox) or name (LXC). */
  configs: Record<string, string>;
  /** Makes the trees under the sandbox root. */
  trees(root: string): void;
}

/** A TRaSH /data shared into CT 100 with mp0; CT 101 mounts only /data/media; /srv/photos is not a unified tree. */
const TRASH: Seed = {
  configs: {
    '100': 'arch: amd64\nhostname: arr\nmp0: /data,mp=/data\nrootfs: local-lvm:vm-100-disk-0,size=8G\n',
    '101': 'arch: amd64\nhostname: jelly\nmp0: /data/media,mp=/media\n',
    // A device folder bind-mounted too (lxc.mount.entry): a device (LxcDevice's), not a candidate tree.
    '102': 'arch: amd64\nhostname: photos\nmp0: /srv/photos,mp=/photos\nlxc.mount.entry: /dev/net dev/net none bind,create=dir\n',
  },
  trees(root) {
    mkdirSync(join(root, 'dev/net'), { recursive: true });
    folders(join(root, 'data'), [...TRASH_LAYOUT, 'backups', 'media/photos']);
    writeFileSync(join(root, 'data/media/movies/film.mkv'), 'frames');
    folders(join(root, 'srv/photos'), ['2024']);
  },
};

/** Part of the layout on an HDD (root-owned, 0755), shared into CT 100 at /data. */
const PARTIAL: Seed = {
  configs: { '100': 'arch: amd64\nmp0: /mnt/hdd/data,mp=/data\n' },
  trees(root) {
    folders(join(root, 'mnt/hdd/data'), ['media/movies', 'media/tv', 'torrents', 'backups'], 0o755, 0, 0);
  },
};

/** A TRaSH /data whose media/movies is 0755 and media/tv root's. */
const MIXED: Seed = {
  configs: { '100': 'arch: amd64\nmp0: /data,mp=/data\n' },
  trees(root) {
    folders(join(root, 'data'), TRASH_LAYOUT);
    chmodSync(join(root, 'data/media/movies'), 0o755);
    chownSync(join(root, 'data/media/tv'), 0, 0);
  },
};

/** A TRaSH /data whose media/movies is a tmpfs of its own (a disk mounted inside the tree). */
const MOUNTED: Seed = {
  configs: { '100': 'arch: amd64\nmp0: /data,mp=/data\n' },
  trees(root) {
    folders(join(root, 'data'), TRASH_LAYOUT);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'hs-import-un', join(root, 'data/media/movies')]);
    mounted.push(join(root, 'data/media/movies'));
    folders(join(root, 'data/media/movies'), []);
  },
};
/**
 * Plain LXC, configs in LXC's own `key = value` syntax: a TRaSH /data bind-mounted whole into `arr` with an
 * `lxc.mount.entry` (the line a UnifiedNamespace share writes there), and only /data/media into `jelly`.
 */
const PLAIN_LXC: Seed = {
  platform: 'lxc',
  configs: {
    arr: [
      'lxc.include = /usr/share/lxc/config/common.conf',
      'lxc.arch = linux64',
      'lxc.rootfs.path = dir:/var/lib/lxc/arr/rootfs',
      'lxc.uts.name = arr',
      'lxc.net.0.type = veth',
      'lxc.net.0.link = lxcbr0',
      'lxc.mount.entry = /data data none bind,create=dir 0 0',
      '',
    ].join('\n'),
    jelly: ['lxc.rootfs.path = dir:/var/lib/lxc/jelly/rootfs', 'lxc.uts.name = jelly', 'lxc.mount.entry = /data/media media none bind,create=dir 0 0', ''].join('\n'),
  },
  trees(root) {
    folders(join(root, 'data'), TRASH_LAYOUT);
  },
};

/** Mount points the seeds made, unmounted (by path) after the tests. */
const mounted: string[] = [];

interface Lab {
  dir: string;
  root: string;
  manifests: string;
  state: string;
}

function newLab(seed: Seed, hostSpec: (root: string) => object): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'hs-import-un-'));
  const lab = { dir, root: join(dir, 'root'), manifests: join(dir, 'manifests'), state: join(dir, 'state') };
  for (const sub of ['etc/pve/lxc', 'var/lib/lxc', 'sys/fs/cgroup/lxc']) mkdirSync(join(lab.root, sub), { recursive: true });
  for (const [container, text] of Object.entries(seed.configs)) {
    const path = join(lab.root, seed.platform === 'lxc' ? `var/lib/lxc/${container}/config` : `etc/pve/lxc/${container}.conf`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    chmodSync(path, 0o640);
  }
  seed.trees(lab.root);
  mkdirSync(lab.manifests);
  writeHost(lab, hostSpec(lab.root));
  return lab;
}

function writeHost(lab: Lab, spec: object): void {
  writeFileSync(join(lab.manifests, 'host.yaml'), stringify({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'Host', metadata: { name: 'pve' }, spec }));
}

const env = { ...process.env, HOMEOSTAT_STATE_DIR: '' };

/** Import, validate, diff: each exits 0, nothing under the root changes. The UnifiedNamespace documents and the output. */
function importThenDiff(lab: Lab): { imported: string; specs: Array<Record<string, unknown>> } {
  const { imported, before, diff } = importValidateDiff(lab, env);
  expect(diff.stdout).toContain('no changes');
  expect(treeState(lab.root)).toEqual(before);

  const docs = parseAllDocuments(imported).map((d) => d.toJS() as { kind?: string; spec?: Record<string, unknown> } | null);
  const specs = docs.filter((d) => d?.kind === 'UnifiedNamespace').map((d) => d!.spec!);
  return { imported, specs };
}

function expectTrash({ imported, specs }: ReturnType<typeof importThenDiff>): void {
  expect(specs).toEqual([{ host: 'pve', root: '/data', layout: 'trash', owner: { uid: OWNER, gid: OWNER }, mode: '2775', shareInto: [{ container: '100' }] }]);
  expect(imported).toMatch(/kind: UnifiedNamespace\nmetadata:\n {2}name: pve-data\nspec:\n {2}host: pve\n {2}root: \/data\n {2}layout: trash\n {2}owner:\n {4}uid: 1000\n {4}gid: 1000\n {2}mode: "2775"\n {2}shareInto:\n {4}- container: "100"\n/);
  expect(imported).toContain('# Imported from pve:/data: the TRaSH layout, every folder of it there.');
  expect(imported).toContain('#   /etc/pve/lxc/100.conf: mp0: /data,mp=/data');
  expect(imported).toContain('#   /etc/pve/lxc/101.conf: mp0: /data/media,mp=/media');
  expect(imported).toContain('# Other folders, not declared (homeostat leaves undeclared folders alone): backups, media/photos');
  expect(imported).toContain('# Not imported as UnifiedNamespace (no torrents/, usenet/ or media/ folder in them): pve:/srv/photos\n');
  expect(imported).not.toContain('homeostat diff` will show');
}

describe('homeostat import host: UnifiedNamespace', () => {
  const labs: Lab[] = [];
  afterAll(() => {
    for (const at of mounted.splice(0)) execFileSync('umount', [at]);
    labs.forEach((lab) => rmSync(lab.dir, { recursive: true, force: true }));
  });
  const local = (seed: Seed) => {
    const lab = newLab(seed, (root) => ({ platform: 'proxmox', root }));
    labs.push(lab);
    return lab;
  };

  it('a TRaSH /data shared into CT 100 with mp0: layout trash, owner and mode read, the share found; diff empty', () => {
    expectTrash(importThenDiff(local(TRASH)));
  });

  it('part of the layout elsewhere, shared at another path: layout none with the folders there, the share path kept', () => {
    const { specs, imported } = importThenDiff(local(PARTIAL));
    expect(specs).toEqual([
      {
        host: 'pve',
        root: '/mnt/hdd/data',
        layout: 'none',
        directories: ['torrents', 'media/movies', 'media/tv'],
        owner: { uid: 0, gid: 0 },
        mode: '0755',
        shareInto: [{ container: '100', path: '/data' }],
      },
    ]);
    expect(imported).toContain('# Other folders, not declared (homeostat leaves undeclared folders alone): backups');
  });

  it('folders disagree on mode and owner: the root\'s mode, the other one left out, owner left alone; diff empty', () => {
    const { specs, imported } = importThenDiff(local(MIXED));
    expect(specs).toEqual([
      {
        host: 'pve',
        root: '/data',
        layout: 'none',
        directories: ['media/books', 'media/music', 'media/tv', 'torrents/books', 'torrents/movies', 'torrents/music', 'torrents/tv', 'usenet/incomplete', 'usenet/complete/books', 'usenet/complete/movies', 'usenet/complete/music', 'usenet/complete/tv'],
        mode: '2775',
        shareInto: [{ container: '100' }],
      },
    ]);
    expect(imported).toContain('homeostat would change them; unlisted, it leaves them alone): media/movies (mode 0755)');
    expect(imported).toContain('#   0:0: media/tv');
  });

  it.skipIf(!canMount())('a disk mounted inside the tree: requireSameFilesystem false (not Stalled/CrossDevice), diff empty', () => {
    const { specs, imported } = importThenDiff(local(MOUNTED));
    expect(specs).toEqual([
      { host: 'pve', root: '/data', layout: 'trash', owner: { uid: OWNER, gid: OWNER }, mode: '2775', requireSameFilesystem: false, shareInto: [{ container: '100' }] },
    ]);
    expect(imported).toContain('media/movies (a separate mount)');
  });

  it('plain LXC, the tree bind-mounted whole with lxc.mount.entry: the share found and carried (not listed as a line homeostat leaves)', () => {
    const lab = newLab(PLAIN_LXC, (root) => ({ platform: 'lxc', root }));
    labs.push(lab);
    const { specs, imported } = importThenDiff(lab);
    expect(specs).toEqual([{ host: 'pve', root: '/data', layout: 'trash', owner: { uid: OWNER, gid: OWNER }, mode: '2775', shareInto: [{ container: 'arr' }] }]);
    // The whole-tree mount is in the UnifiedNamespace's comments only: its share carries it.
    expect(imported.split('\n').filter((l) => l.includes('lxc.mount.entry = /data data'))).toEqual([
      '#   /var/lib/lxc/arr/config: lxc.mount.entry = /data data none bind,create=dir 0 0',
    ]);
    // The mount of a folder inside the tree is carried by nothing: both imports list it.
    expect(imported).toContain('#   /var/lib/lxc/jelly/config: lxc.mount.entry = /data/media media none bind,create=dir 0 0');
    expect(imported).toMatch(/# Not carried by homeostat \(left as they are: homeostat never edits a line it does not own\), \/var\/lib\/lxc\/jelly\/config:\n(# {3}line \d+: .*\n)*# {3}line 3: lxc\.mount\.entry = \/data\/media media none bind,create=dir 0 0\n/);
  });

  describe.skipIf(!sshdAvailable())('over SSH (loopback sshd)', () => {
    let server: TestSshd;
    let lab: Lab;
    beforeAll(async () => {
      lab = newLab(TRASH, () => ({}));
      labs.push(lab);
      server = await startSshd({ env: pctSshdEnv(lab.root) });
      writeHost(lab, { platform: 'proxmox', root: lab.root, ssh: sshLoginOf(server) });
    }, 60_000);
    afterAll(async () => server?.stop());

    it('reads through the Host API: the same document, diff empty, nothing written', () => {
      expectTrash(importThenDiff(lab));
    });
  });
});
