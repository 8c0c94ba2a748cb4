import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStalledError, StalledError, type InventoryItem } from '../core/contract.js';
import {
  applyToModel,
  dir,
  lxcConfig,
  nsSpec,
  observedOf,
  OTHER_DEV,
  planInput,
  proxmoxConfig,
  ROOT_DEV,
  type World,
} from '../../test/unified-namespace/fixtures.js';
import { intentItem, isIntent } from './inventory.js';
import { declaredFolders } from './layout.js';
import { DIRECTORY_ITEM, type FolderState, type ObservedLeftover } from './model.js';
import { planNamespace, RECHECK_MS } from './plan.js';
import { CONFIG_LINE } from '../lxc-config/index.js';
import type { UnifiedNamespaceSpec } from './spec.js';

const missing: FolderState = { kind: 'missing' };
const stalledBy = (fn: () => unknown): StalledError => {
  try {
    fn();
  } catch (err) {
    if (isStalledError(err)) return err;
    throw err;
  }
  throw new Error('expected a StalledError');
};

describe('folders', () => {
  it('creates a missing tree, parents first, each with owner and mode', () => {
    const spec = nsSpec({ layout: 'trash', directories: ['backups'] });
    const plan = planNamespace(spec, observedOf(spec, {}, {}, () => missing), planInput());
    expect(plan.changes.map((c) => c.action)).toEqual(Array(19).fill('create'));
    expect(plan.changes.map((c) => c.target).slice(0, 5)).toEqual(['pve:/data', 'pve:/data/backups', 'pve:/data/media', 'pve:/data/torrents', 'pve:/data/usenet']);
    expect(plan.changes[0]).toEqual({
      action: 'create',
      target: 'pve:/data',
      summary: 'create pve:/data (1000:1000 2775)',
      path: '/data',
      mode: 0o2775,
      owner: { uid: 1000, gid: 1000 },
    });
    expect(plan.degraded).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(RECHECK_MS);
  });

  it('fixes owner and mode of existing folders, against the inode it saw; no owner means ownership is left alone', () => {
    const spec = nsSpec({ directories: ['media'] });
    const media = dir({ uid: 0, gid: 0, mode: 0o755, ino: 42 });
    const plan = planNamespace(spec, observedOf(spec, { media }), planInput());
    expect(plan.changes).toEqual([
      expect.objectContaining({ action: 'chown', path: '/data/media', uid: 1000, gid: 1000, ino: 42, summary: 'chown pve:/data/media from 0:0 to 1000:1000' }),
      expect.objectContaining({ action: 'chmod', path: '/data/media', mode: 0o2775, ino: 42, summary: 'chmod pve:/data/media from 0755 to 2775' }),
    ]);
    const unowned = nsSpec({ directories: ['media'], owner: undefined });
    expect(planNamespace(unowned, observedOf(unowned, { media }), planInput()).changes.map((c) => c.action)).toEqual(['chmod']);
    expect(planNamespace(spec, observedOf(spec), planInput()).changes).toEqual([]);
  });

  it('waits (Degraded) for a missing parent of the root instead of creating it', () => {
    const spec = nsSpec({ root: '/mnt/pool/data', directories: ['a'] });
    const plan = planNamespace(spec, observedOf(spec, {}, { rootParent: 'missing' }, () => missing), planInput());
    expect(plan.changes).toEqual([]);
    expect(plan.degraded).toMatchObject({ reason: 'RootParentMissing', message: expect.stringContaining('pve:/mnt/pool does not exist') });
  });
});

describe('intents a crash left (recorded before a mkdir whose outcome was never known)', () => {
  const spec = nsSpec({ directories: ['media/movies', 'torrents'] });
  const withIntents = (states: Record<string, FolderState>, paths: string[], over: Partial<Parameters<typeof observedOf>[2]> = {}) => {
    const observed = observedOf(spec, states, over);
    for (const folder of observed.folders) if (paths.includes(folder.path)) folder.intent = intentItem('pve', folder.path);
    return observed;
  };

  it('a folder that is there is recorded with the inode observed, then fixed like any folder', () => {
    const movies = dir({ mode: 0o700, uid: 0, gid: 0, ino: 77 });
    const plan = planNamespace(spec, withIntents({ 'media/movies': movies }, ['/data/media/movies']), planInput());
    expect(plan.changes).toEqual([
      {
        action: 'complete-record',
        target: 'pve:/data/media/movies',
        summary: 'record pve:/data/media/movies as created by homeostat (the run that made it stopped before recording it)',
        item: { type: DIRECTORY_ITEM, host: 'pve', id: '/data/media/movies' },
        dev: ROOT_DEV,
        ino: 77,
      },
      expect.objectContaining({ action: 'chown', path: '/data/media/movies', ino: 77 }),
      expect.objectContaining({ action: 'chmod', path: '/data/media/movies', ino: 77 }),
    ]);
  });

  it('one that was never made is forgotten (and created again, with a new intent); something else there is forgotten too', () => {
    const link: FolderState = { kind: 'symlink', target: '/data/media', insideRoot: true, resolved: { type: 'directory', dev: ROOT_DEV } };
    const plan = planNamespace(spec, withIntents({ 'media/movies': missing, torrents: link }, ['/data/media/movies', '/data/torrents']), planInput());
    expect(plan.changes.map((c) => `${c.action} ${c.target}: ${c.summary}`)).toEqual([
      'release pve:/data/torrents: forget the intent to create pve:/data/torrents: something else is there',
      'release pve:/data/media/movies: forget the intent to create pve:/data/media/movies: it was never made',
      'create pve:/data/media/movies: create pve:/data/media/movies (1000:1000 2775)',
    ]);
  });

  it('a mount point keeps its intent (its inode is not the folder\'s); a root waiting for its parent still settles intents', () => {
    const loose = nsSpec({ directories: ['torrents'], requireSameFilesystem: false });
    const mounted = observedOf(loose, { torrents: dir({ mountpoint: true }) });
    mounted.folders[1]!.intent = intentItem('pve', '/data/torrents');
    expect(planNamespace(loose, mounted, planInput()).changes).toEqual([]);

    const waiting = withIntents({ '': missing }, ['/data'], { rootParent: 'missing' });
    for (const f of waiting.folders) if (f.rel !== '') f.state = missing;
    const plan = planNamespace(spec, waiting, planInput());
    expect(plan.degraded?.reason).toBe('RootParentMissing');
    expect(plan.changes.map((c) => `${c.action} ${c.target}`)).toEqual(['release pve:/data']);
  });

  it('an intent no longer declared is removed when its folder is there and empty, through the inode seen', () => {
    const item = intentItem('pve', '/data/old');
    const plan = planNamespace(spec, observedOf(spec, {}, { leftovers: [{ item, state: 'ours', entries: [], seen: { dev: ROOT_DEV, ino: 31 } }] }), planInput());
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'delete', target: 'pve:/data/old', dev: ROOT_DEV, ino: 31 })]);
  });
});

describe('one filesystem', () => {
  it('a folder on another device is Stalled/CrossDevice, naming the folder and both devices', () => {
    const spec = nsSpec({ layout: 'trash' });
    const err = stalledBy(() => planNamespace(spec, observedOf(spec, { '': dir({ dev: ROOT_DEV }), 'media/movies': dir({ dev: OTHER_DEV, mountpoint: true }) }), planInput()));
    expect(err.reason).toBe('CrossDevice');
    expect(err.message).toContain('media/movies (/data/media/movies) is on device 8:2, not on the root\'s device 8:1 (/data)');
    expect(err.message).toContain('EXDEV');
  });

  it('a separate mount of the same filesystem (a bind mount) is CrossDevice too', () => {
    const spec = nsSpec({ directories: ['media', 'torrents'] });
    const err = stalledBy(() => planNamespace(spec, observedOf(spec, { torrents: dir({ mountpoint: true }) }), planInput()));
    expect(err.reason).toBe('CrossDevice');
    expect(err.message).toContain('torrents (/data/torrents) is a separate mount (device 8:1, the same as the root\'s device 8:1 (/data)');
  });

  it('a symlink to another filesystem is CrossDevice; one leaving the root on the same filesystem is SymlinkOutsideRoot', () => {
    const spec = nsSpec({ directories: ['media/movies', 'torrents'] });
    const other = stalledBy(() =>
      planNamespace(spec, observedOf(spec, { media: { kind: 'symlink', target: '/mnt/usb/media', insideRoot: false, resolved: { type: 'directory', dev: OTHER_DEV } }, 'media/movies': { kind: 'unreachable', via: '/data/media' } }), planInput()),
    );
    expect(other.reason).toBe('CrossDevice');
    expect(other.message).toContain('media (/data/media) is a symlink to /mnt/usb/media on device 8:2, not on the root\'s device 8:1');
    const outside = stalledBy(() =>
      planNamespace(spec, observedOf(spec, { torrents: { kind: 'symlink', target: '/srv/t', insideRoot: false, resolved: { type: 'directory', dev: ROOT_DEV } } }), planInput()),
    );
    expect(outside).toMatchObject({ reason: 'SymlinkOutsideRoot', message: expect.stringContaining('symlink to /srv/t, outside /data') });
  });

  it('without requireSameFilesystem, other devices are managed like any folder, but links still never leave the root', () => {
    const spec = nsSpec({ directories: ['media', 'torrents'], requireSameFilesystem: false });
    const plan = planNamespace(spec, observedOf(spec, { media: dir({ dev: OTHER_DEV, mountpoint: true, mode: 0o755, ino: 7 }) }, { mountsInTree: [{ path: '/data/x', device: '0:99', fstype: 'tmpfs', source: 't' }] }), planInput());
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'chmod', ino: 7 })]);
    expect(plan.degraded).toBeUndefined();
    expect(stalledBy(() => planNamespace(spec, observedOf(spec, { torrents: { kind: 'symlink', target: '/srv/t', insideRoot: false, resolved: { type: 'directory', dev: OTHER_DEV } } }), planInput())).reason).toBe('SymlinkOutsideRoot');
  });

  it('a symlink within the root is traversed, never changed; its missing children are created through it', () => {
    const spec = nsSpec({ directories: ['media/movies', 'library'] });
    const plan = planNamespace(spec, observedOf(spec, { media: { kind: 'symlink', target: '/data/library', insideRoot: true, resolved: { type: 'directory', dev: ROOT_DEV } }, 'media/movies': missing }), planInput());
    expect(plan.changes.map((c) => `${c.action} ${c.target}`)).toEqual(['create pve:/data/media/movies']);
  });

  it('files, dangling links and a symlinked root are Stalled with their own reasons', () => {
    const spec = nsSpec({ directories: ['media'] });
    expect(stalledBy(() => planNamespace(spec, observedOf(spec, { media: { kind: 'other', type: 'file' } }), planInput()))).toMatchObject({
      reason: 'NotADirectory',
      message: 'media (/data/media) is a file, not a folder: move it away',
    });
    expect(stalledBy(() => planNamespace(spec, observedOf(spec, { media: { kind: 'symlink', target: '/data/gone', insideRoot: true, resolved: null } }), planInput())).reason).toBe('BrokenSymlink');
    expect(stalledBy(() => planNamespace(spec, observedOf(spec, { '': { kind: 'symlink', target: '/mnt/pool/data', insideRoot: false, resolved: { type: 'directory', dev: 1 } } }), planInput()))).toMatchObject({
      reason: 'RootIsSymlink',
      message: expect.stringContaining('set spec.root to the real folder (/mnt/pool/data)'),
    });
  });

  it('a mount inside the tree below the declared folders is reported (Degraded/MountInsideTree)', () => {
    const spec = nsSpec({ directories: ['media'] });
    const plan = planNamespace(spec, observedOf(spec, {}, { mountsInTree: [{ path: '/data/media/usb', device: '0:77', fstype: 'tmpfs', source: 'usb' }] }), planInput());
    expect(plan.changes).toEqual([]);
    expect(plan.degraded).toEqual({ type: 'Degraded', reason: 'MountInsideTree', message: expect.stringContaining('a mount inside /data: /data/media/usb (tmpfs usb, device 0:77)') });
  });
});

describe('folders created earlier and no longer declared', () => {
  const item = (id: string, ino = 5): InventoryItem => ({ type: DIRECTORY_ITEM, host: 'pve', id, detail: { dev: ROOT_DEV, ino } });
  const leftover = (id: string, state: ObservedLeftover['state'], entries: string[] = []): ObservedLeftover => ({ item: item(id), state, entries });

  it('removes empty ones deepest first, keeps (and forgets) those holding anything else', () => {
    const spec = nsSpec();
    const leftovers = [leftover('/data/old', 'ours', ['sub']), leftover('/data/old/sub', 'ours'), leftover('/data/kept', 'ours', ['movie.mkv']), leftover('/data/gone', 'missing'), leftover('/data/other', 'replaced')];
    const plan = planNamespace(spec, observedOf(spec, {}, { leftovers }), planInput({ inventory: leftovers.map((l) => l.item) }));
    expect(plan.changes.map((c) => `${c.action} ${c.target}`)).toEqual([
      'delete pve:/data/old/sub',
      'release pve:/data/gone',
      'release pve:/data/kept',
      'delete pve:/data/old',
      'release pve:/data/other',
    ]);
    expect(plan.changes[2]!.summary).toContain('not empty; kept as it is');
  });
});

describe('shares (planned with the lxc-config library)', () => {
  it('adds mpN at the first free index and records it; a running plan then sees it as done', () => {
    const spec = nsSpec({ shareInto: [{ container: '100' }] });
    const config = proxmoxConfig('100', 'arch: amd64\nmp0: /mnt/a,mp=/a\nmp2: /mnt/b,mp=/b\n[pve:pending]\nmp1: /mnt/c,mp=/c\n');
    const plan = planNamespace(spec, observedOf(spec, {}, { shares: [config] }), planInput());
    expect(plan.changes).toEqual([
      expect.objectContaining({ action: 'edit-config', target: 'pve:/etc/pve/lxc/100.conf', add: ['mp3: /data,mp=/data'], remove: [] }),
    ]);
  });
});

// ── idempotence ────────────────────────────────────────────────────────────

const specArb: fc.Arbitrary<UnifiedNamespaceSpec> = fc.record({
  layout: fc.constantFrom('none' as const, 'trash' as const),
  directories: fc.subarray(['backups', 'media/photos', 'media/photos/2024', 'x']),
  owner: fc.option(fc.constantFrom({ uid: 1000, gid: 1000 }, { uid: 101000, gid: 101000 }), { nil: undefined }),
  mode: fc.constantFrom('2775', '0755', '775', '2770'),
  requireSameFilesystem: fc.boolean(),
  shareInto: fc.subarray([{ container: '100' }, { container: '101', path: '/srv/data' }]),
}).map((over) => nsSpec(over));

const folderStateArb: fc.Arbitrary<FolderState> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(missing) },
  {
    weight: 5,
    arbitrary: fc.record({
      mode: fc.constantFrom(0o2775, 0o755, 0o775, 0o700, 0o2770),
      uid: fc.constantFrom(0, 1000, 101000),
      gid: fc.constantFrom(0, 1000, 101000),
      dev: fc.constantFrom(ROOT_DEV, ROOT_DEV, ROOT_DEV, OTHER_DEV),
      mountpoint: fc.boolean(),
    }).map((d) => dir(d)),
  },
  { weight: 1, arbitrary: fc.constant<FolderState>({ kind: 'symlink', target: '/data/elsewhere', insideRoot: true, resolved: { type: 'directory', dev: ROOT_DEV } }) },
);

const configLines = ['arch: amd64', 'mp0: /mnt/a,mp=/a', 'mp1: /data,mp=/data', 'mp2: /data/media,mp=/media', 'mp4: /old,mp=/srv/data', 'lock: backup', 'lxc.mount.entry: /data srv/data none bind 0 0'];

const worldArb = (spec: UnifiedNamespaceSpec): fc.Arbitrary<World> => {
  const folders = declaredFolders(spec);
  const lineItem = (container: string, line: string): InventoryItem => ({
    type: CONFIG_LINE,
    host: 'pve',
    id: `/etc/pve/lxc/${container}.conf#${line}`,
    detail: { container, path: `/etc/pve/lxc/${container}.conf`, line },
  });
  const configArb = (container: string) =>
    fc.record({ lines: fc.subarray(configLines), snapshot: fc.boolean(), flavor: fc.constantFrom('proxmox', 'proxmox', 'lxc') }).map(({ lines, snapshot, flavor }) =>
      flavor === 'lxc'
        ? lxcConfig(container, `lxc.uts.name = ${container}\n${lines.filter((l) => l.startsWith('lxc.')).map((l) => l.replace(': ', ' = ')).join('\n')}\n`)
        : proxmoxConfig(container, `${lines.join('\n')}\n${snapshot ? '[snap]\nmp3: /data,mp=/data\n' : ''}`),
    );
  return fc
    .record({
      states: fc.tuple(...folders.map(() => folderStateArb)),
      leftovers: fc.subarray([
        { id: '/data/old', state: 'ours' as const, entries: ['sub'] },
        { id: '/data/old/sub', state: 'ours' as const, entries: [] },
        { id: '/data/kept', state: 'ours' as const, entries: ['file'] },
        { id: '/data/gone', state: 'missing' as const, entries: [] },
        // Intents a crash left on folders no longer declared: made (empty or not), or never made.
        { id: '/data/half', state: 'ours' as const, entries: [], intent: true },
        { id: '/data/half-full', state: 'ours' as const, entries: ['file'], intent: true },
        { id: '/data/never', state: 'missing' as const, entries: [], intent: true },
      ]),
      // Intents a crash left on declared folders (whatever is there now).
      intents: fc.subarray(folders.map((f) => f.path)),
      configs: fc.tuple(configArb('100'), configArb('101')),
      ownLines: fc.subarray([lineItem('100', 'mp1: /data,mp=/data'), lineItem('100', 'mp4: /old,mp=/srv/data'), lineItem('101', 'mp4: /old,mp=/srv/data'), lineItem('101', 'mp9: /gone,mp=/x')]),
      mountsInTree: fc.subarray([{ path: '/data/deep/usb', device: '0:70', fstype: 'tmpfs', source: 'usb' }]),
    })
    .map(({ states, leftovers, intents, configs, ownLines, mountsInTree }) => {
      // A folder below a missing one is missing too; below a symlink it is reached through it.
      const byRel = new Map<string, FolderState>();
      for (const [i, f] of folders.entries()) {
        const parent = f.rel === '' ? undefined : byRel.get(f.rel.includes('/') ? f.rel.slice(0, f.rel.lastIndexOf('/')) : '');
        byRel.set(f.rel, parent?.kind === 'missing' || (f.rel === '' && states[i]!.kind === 'symlink') ? missing : states[i]!);
      }
      const observed = observedOf(spec, Object.fromEntries(byRel), {
        leftovers: leftovers.map((l) => ({
          item: { type: DIRECTORY_ITEM, host: 'pve', id: l.id, detail: 'intent' in l ? { pending: true } : { ino: 9 } },
          state: l.state,
          entries: l.entries,
          ...(l.state === 'ours' ? { seen: { dev: ROOT_DEV, ino: 9 } } : {}),
        })),
        shares: configs,
        mountsInTree,
      });
      for (const folder of observed.folders) if (intents.includes(folder.path)) folder.intent = intentItem('pve', folder.path);
      const intentItems = observed.folders.flatMap((f) => (f.intent ? [f.intent] : []));
      return { observed, input: planInput({ inventory: [...observed.leftovers.map((l) => l.item), ...intentItems, ...ownLines] }) };
    });
};

describe('idempotence (property)', () => {
  it('planning again after applying the plan finds nothing to do (or the world needs a person: Stalled), intents a crash left included', () => {
    let converged = 0;
    let completed = 0;
    let forgotten = 0;
    fc.assert(
      fc.property(
        specArb.chain((spec) => worldArb(spec).map((world) => ({ spec, world }))),
        ({ spec, world }) => {
          let first;
          try {
            first = planNamespace(spec, world.observed, world.input);
          } catch (err) {
            expect(isStalledError(err)).toBe(true);
            return;
          }
          const after = applyToModel(spec, world, first.changes);
          const second = planNamespace(spec, after.observed, after.input);
          expect(second.changes).toEqual([]);
          expect(second.degraded?.reason).toEqual(first.degraded?.reason);
          // No intent outlives the plan where its folder was seen: each is completed or forgotten.
          const settled = after.observed.folders.filter((f) => f.state.kind === 'missing' || (f.state.kind === 'directory' && !f.state.mountpoint));
          expect(settled.filter((f) => after.input.inventory.some((i) => i.id === f.path && isIntent(i)))).toEqual([]);
          converged++;
          if (first.changes.some((c) => c.action === 'complete-record')) completed++;
          if (first.changes.some((c) => c.action === 'release' && world.observed.folders.some((f) => f.intent?.id === c.item.id))) forgotten++;
        },
      ),
      { numRuns: 1_000 },
    );
    expect(converged).toBeGreaterThan(100);
    expect(Math.min(completed, forgotten)).toBeGreaterThan(50); // intents were both completed and forgotten
  });
});
