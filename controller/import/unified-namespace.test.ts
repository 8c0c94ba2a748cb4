import { describe, expect, it } from 'vitest';
import { dir, observedOf, OTHER_DEV, planInput, proxmoxConfig } from '../../test/unified-namespace/fixtures.js';
import { configMounts } from '../../reconcilers/unified-namespace/index.js';
import type { FolderState, MountInTree } from '../../reconcilers/unified-namespace/model.js';
import { planNamespace } from '../../reconcilers/unified-namespace/plan.js';
import type { ObservedConfig } from '../../reconcilers/unified-namespace/share/model.js';
import { looksUnified, parentTreeOf, surveySpec, TRASH_FOLDERS, unifiedNamespaceDocument, type ShareLine, type TreeSurvey } from './unified-namespace.js';

/** A tree: the root and every TRaSH folder a 2775 folder of 1000:1000 unless `states` or `fallback` say otherwise (`null`: missing). */
function tree(states: Record<string, FolderState | null> = {}, fallback: () => FolderState | null = () => dir()): Map<string, FolderState> {
  const out = new Map<string, FolderState>();
  for (const rel of ['', ...TRASH_FOLDERS]) {
    const state = rel in states ? states[rel]! : rel === '' ? dir() : fallback();
    out.set(rel, state ?? { kind: 'missing' });
  }
  return out;
}

function configs(texts: Record<string, string>): ObservedConfig[] {
  return Object.entries(texts).map(([container, text]) => proxmoxConfig(container, text));
}

function shareLinesOf(observed: readonly ObservedConfig[]): ShareLine[] {
  return observed.flatMap((c) => configMounts(c.snapshot!.doc).map((mount) => ({ container: c.container, configPath: c.location!.path, mount })));
}

function survey(states: Map<string, FolderState>, over: Partial<TreeSurvey> = {}, texts: Record<string, string> = {}): TreeSurvey {
  const observed = observedOf(surveySpec('pve', '/data'), Object.fromEntries(states));
  const shares = shareLinesOf(configs(texts)).filter((s) => s.mount.source === '/data' || s.mount.source.startsWith('/data/'));
  return { host: 'pve', root: '/data', folders: observed.folders, mountsInTree: [], shares, otherFolders: { found: [], more: 0 }, ...over };
}

/** The kind's own plan on the same tree under the imported spec: what `diff` would show. */
function diffOf(states: Map<string, FolderState>, s: TreeSurvey, texts: Record<string, string> = {}, mountsInTree: MountInTree[] = []) {
  const made = unifiedNamespaceDocument(s);
  if (made.document === null) throw new Error('no document');
  const observed = observedOf(made.spec, Object.fromEntries(states), { mountsInTree, shares: configs(texts).filter((c) => made.spec.shareInto.some((x) => x.container === c.container)) }, () => ({ kind: 'missing' }));
  return planNamespace(made.spec, observed, planInput());
}

describe('UnifiedNamespace import (pure)', () => {
  it('a whole TRaSH tree, one owner and mode, shared with mp0: layout trash, owner, mode, shareInto; diff empty', () => {
    const states = tree();
    const texts = { '100': 'arch: amd64\nmp0: /data,mp=/data\n' };
    const s = survey(states, {}, texts);
    const made = unifiedNamespaceDocument(s);
    expect(made.document).toEqual({
      kind: 'UnifiedNamespace',
      name: 'pve-data',
      spec: { host: 'pve', root: '/data', layout: 'trash', owner: { uid: 1000, gid: 1000 }, mode: '2775', shareInto: [{ container: '100' }] },
      comments: expect.arrayContaining([
        'Imported from pve:/data: the TRaSH layout, every folder of it there.',
        'Shared (the whole tree) by:',
        '  /etc/pve/lxc/100.conf: mp0: /data,mp=/data',
        'Owner 1000:1000: every folder declared has it.',
      ]),
    });
    const plan = diffOf(states, s, texts);
    expect(plan.changes).toEqual([]);
    expect(plan.degraded).toBeUndefined();
  });

  it('part of the layout: layout none with the folders there (leaves only), the rest said missing', () => {
    const states = tree({ 'media/movies': dir(), 'media/tv': dir(), media: dir(), torrents: dir() }, () => null);
    const s = survey(states, { otherFolders: { found: ['backups', 'media/photos'], more: 0 } });
    const made = unifiedNamespaceDocument(s);
    expect(made.document?.spec).toEqual({ host: 'pve', root: '/data', layout: 'none', directories: ['torrents', 'media/movies', 'media/tv'], owner: { uid: 1000, gid: 1000 }, mode: '2775' });
    expect(made.document?.comments).toContain('Other folders, not declared (homeostat leaves undeclared folders alone): backups, media/photos');
    expect(made.document?.comments.join('\n')).toContain('Not there (homeostat would create them if they were listed): usenet, media/books, media/music, torrents/books,');
    expect(made.document?.comments).toContain('No container mounts the whole tree.');
    expect(diffOf(states, s).changes).toEqual([]);
  });

  it('mixed modes: the root\'s mode, a folder with another one left out with what is below it (diff stays empty)', () => {
    const states = tree({ 'media/movies': dir({ mode: 0o755 }), usenet: dir({ mode: 0o2770 }) });
    const s = survey(states);
    const made = unifiedNamespaceDocument(s);
    const spec = made.document!.spec;
    expect(spec.layout).toBe('none');
    expect(spec.mode).toBe('2775');
    expect(spec.directories).toEqual(['media/books', 'media/music', 'media/tv', 'torrents/books', 'torrents/movies', 'torrents/music', 'torrents/tv']);
    expect(made.document!.comments).toContain(
      'Left out, with what is below them (listed, homeostat would change them; unlisted, it leaves them alone): usenet (mode 2770), media/movies (mode 0755)',
    );
    expect(diffOf(states, s).changes).toEqual([]);
  });

  it('a root without setgid keeps its mode as it is ("0755")', () => {
    const states = tree({ '': dir({ mode: 0o755 }) }, () => dir({ mode: 0o755 }));
    const made = unifiedNamespaceDocument(survey(states));
    expect(made.document!.spec).toMatchObject({ layout: 'trash', mode: '0755' });
    expect(diffOf(states, survey(states)).changes).toEqual([]);
  });

  it('owners disagree: owner left out (ownership left alone), the owners listed', () => {
    const states = tree({ 'media/tv': dir({ uid: 0, gid: 0 }) });
    const s = survey(states);
    const made = unifiedNamespaceDocument(s);
    expect(made.document!.spec.owner).toBeUndefined();
    expect(made.document!.comments).toEqual(
      expect.arrayContaining(['Owner not set (ownership is left alone): the folders declared disagree:', '  0:0: media/tv', expect.stringMatching(/^ {2}1000:1000: the root, media, torrents, usenet, /)]),
    );
    expect(diffOf(states, s).changes).toEqual([]);
  });

  it('a mount inside the tree (a folder of the layout, or below it): requireSameFilesystem false, so no Stalled/Degraded', () => {
    const states = tree({ media: dir({ dev: OTHER_DEV, mountpoint: true }) });
    const s = survey(states);
    const made = unifiedNamespaceDocument(s);
    expect(made.document!.spec.requireSameFilesystem).toBe(false);
    expect(made.document!.comments.join('\n')).toContain('media (a separate mount)');
    expect(() => diffOf(states, s)).not.toThrow();
    expect(diffOf(states, s).changes).toEqual([]);

    const mounts: MountInTree[] = [{ path: '/data/torrents/books/iso', device: '0:99', fstype: 'tmpfs', source: 'tmpfs' }];
    const deeper = survey(tree(), { mountsInTree: mounts });
    expect(unifiedNamespaceDocument(deeper).document!.spec.requireSameFilesystem).toBe(false);
    const plan = diffOf(tree(), deeper, {}, mounts);
    expect(plan.degraded).toBeUndefined();
  });

  it('shares: whole-tree mounts carried (path when it differs), sub-folder mounts listed, several mounts said', () => {
    const texts = {
      '100': 'mp0: /data,mp=/data\n',
      '101': 'mp0: /data/media,mp=/media\n',
      '102': 'lxc.mount.entry: /data srv/data none bind,create=dir 0 0\nmp1: /data/torrents,mp=/torrents\n',
    };
    const states = tree();
    const s = survey(states, {}, texts);
    const made = unifiedNamespaceDocument(s);
    expect(made.document!.spec.shareInto).toEqual([{ container: '100' }, { container: '102', path: '/srv/data' }]);
    expect(made.document!.comments).toEqual(
      expect.arrayContaining([
        'Mounts of folders inside the tree, not carried (one mount of the whole tree is what lets hardlinks work):',
        '  /etc/pve/lxc/101.conf: mp0: /data/media,mp=/media',
        '  /etc/pve/lxc/102.conf: mp1: /data/torrents,mp=/torrents',
        'Container 102 mounts the tree more than once: the resource will say so (Degraded/SplitMounts).',
      ]),
    );
    // The lines the shares rest on (LxcDevice's import does not list them as not carried); sub-folder mounts are not.
    expect(made).toMatchObject({
      carries: [
        { configPath: '/etc/pve/lxc/100.conf', text: 'mp0: /data,mp=/data' },
        { configPath: '/etc/pve/lxc/102.conf', text: 'lxc.mount.entry: /data srv/data none bind,create=dir 0 0' },
      ],
    });
    const plan = diffOf(states, s, texts);
    expect(plan.changes).toEqual([]);
    expect(plan.degraded?.reason).toBe('SplitMounts');
  });

  it('symlinks and files where a folder belongs are left out, with what they are', () => {
    const states = tree({ torrents: { kind: 'symlink', target: '/mnt/ssd/torrents', insideRoot: false, resolved: { type: 'directory', dev: OTHER_DEV } }, usenet: { kind: 'other', type: 'file' } });
    const s = survey(states);
    const made = unifiedNamespaceDocument(s);
    expect(made.document!.spec.directories).toEqual(['media/books', 'media/movies', 'media/music', 'media/tv']);
    expect(made.document!.comments.join('\n')).toContain('torrents (a symlink to /mnt/ssd/torrents), usenet (a file, not a folder)');
    expect(diffOf(states, s).changes).toEqual([]);
  });

  it('a spec the kind would refuse is a note, not a document', () => {
    const made = unifiedNamespaceDocument(survey(tree({ '': dir({ mode: 0o644 }) })));
    expect(made.document).toBeNull();
    expect(made).toMatchObject({ note: expect.stringContaining('Not imported as UnifiedNamespace, pve:/data: "0644" gives the owner no search (x) permission') });
  });

  it('which roots: a unified tree holds a real torrents/, usenet/ or media/; a mounted TRaSH folder suggests its parent', () => {
    const spec = surveySpec('pve', '/data');
    expect(looksUnified(observedOf(spec, { '': dir(), media: dir() }, {}, () => ({ kind: 'missing' })).folders)).toBe(true);
    expect(looksUnified(observedOf(spec, { '': dir() }, {}, () => ({ kind: 'missing' })).folders)).toBe(false);
    expect(looksUnified(observedOf(spec, { '': { kind: 'other', type: 'file' } }).folders)).toBe(false);
    expect(parentTreeOf('/mnt/hdd/data/media')).toBe('/mnt/hdd/data');
    expect(parentTreeOf('/media')).toBeNull();
    expect(parentTreeOf('/mnt/hdd/photos')).toBeNull();
  });
});
