import { describe, expect, it } from 'vitest';
import type { UnifiedNamespaceSpec } from './spec.js';
import { validateSpec } from './validate.js';

const spec = (over: Partial<UnifiedNamespaceSpec> = {}): UnifiedNamespaceSpec => ({
  host: 'pve',
  root: '/data',
  layout: 'trash',
  directories: ['backups'],
  owner: { uid: 1000, gid: 1000 },
  mode: '2775',
  requireSameFilesystem: true,
  shareInto: [{ container: '100', path: '/data' }],
  ...over,
});

const problemsAt = (s: UnifiedNamespaceSpec) => validateSpec(s).map((p) => p.path);

describe('validateSpec', () => {
  it('accepts the lab manifest and the defaults', () => {
    expect(validateSpec(spec())).toEqual([]);
    expect(validateSpec(spec({ owner: undefined, directories: [], shareInto: [], layout: 'none', mode: '0755' }))).toEqual([]);
    expect(validateSpec(spec({ root: '/mnt/pool/data', directories: ['media/photos', '.hidden/x', '..x'] }))).toEqual([]);
  });

  it('names spec.root for a relative, non-normalized or / root', () => {
    expect(validateSpec(spec({ root: 'data' }))).toEqual([{ reason: 'InvalidSpec', path: 'spec.root', message: expect.stringMatching(/absolute path.*write \/data/) }]);
    expect(validateSpec(spec({ root: '/data/' }))[0]).toEqual({ reason: 'InvalidSpec', path: 'spec.root', message: expect.stringContaining('write /data instead of /data/') });
    expect(validateSpec(spec({ root: '/mnt//data' }))[0]?.message).toContain('write /mnt/data');
    expect(validateSpec(spec({ root: '/mnt/./data' }))[0]?.message).toContain('write /mnt/data');
    expect(validateSpec(spec({ root: '/mnt/x/../data' }))[0]?.message).toContain('write /mnt/data');
    expect(validateSpec(spec({ root: '/' }))).toEqual([{ reason: 'InvalidSpec', path: 'spec.root', message: expect.stringContaining('must not be / (the whole filesystem)') }]);
    expect(validateSpec(spec({ root: '/..' }))[0]?.message).toContain('must not be /');
    expect(problemsAt(spec({ root: '/da\nta' }))).toEqual(['spec.root']);
    expect(problemsAt(spec({ root: '' }))).toEqual(['spec.root']);
  });

  it('names the folder for .., absolute paths, folders outside the root, empty or non-normalized names', () => {
    expect(validateSpec(spec({ directories: ['ok', '../etc'] }))).toEqual([
      { reason: 'InvalidSpec', path: 'spec.directories[1]', message: expect.stringContaining('must not contain ".."') },
    ]);
    expect(validateSpec(spec({ directories: ['media/../../x'] }))[0]?.path).toBe('spec.directories[0]');
    expect(validateSpec(spec({ directories: ['/data/backups'] }))[0]).toEqual({
      reason: 'InvalidSpec',
      path: 'spec.directories[0]',
      message: expect.stringContaining('write backups'),
    });
    expect(validateSpec(spec({ directories: ['/etc/cron.d'] }))[0]?.message).toMatch(/relative to spec.root.*inside it \(\/data\)/);
    expect(validateSpec(spec({ directories: ['a//b', 'c/', './d', ''] })).map((p) => p.path)).toEqual([
      'spec.directories[0]',
      'spec.directories[1]',
      'spec.directories[2]',
      'spec.directories[3]',
    ]);
    expect(validateSpec(spec({ directories: ['a//b'] }))[0]?.message).toContain('write a/b');
  });

  it('names spec.owner.uid / gid out of range', () => {
    expect(problemsAt(spec({ owner: { uid: -1, gid: 1000 } }))).toEqual(['spec.owner.uid']);
    expect(problemsAt(spec({ owner: { uid: 1000, gid: 4294967295 } }))).toEqual(['spec.owner.gid']);
    expect(problemsAt(spec({ owner: { uid: 1.5, gid: 2 ** 40 } }))).toEqual(['spec.owner.uid', 'spec.owner.gid']);
    expect(validateSpec(spec({ owner: { uid: 4294967295, gid: 0 } }))[0]?.message).toContain('leave unchanged');
    expect(validateSpec(spec({ owner: { uid: 0, gid: 4294967294 } }))).toEqual([]);
    expect(validateSpec(spec({ owner: { uid: 101000, gid: 101000 } }))).toEqual([]);
  });

  it('names spec.mode when it is not octal, or locks the owner out', () => {
    for (const mode of ['775x', '0o775', '8', '99999', 'rwxr-xr-x', '', '27750']) {
      expect(validateSpec(spec({ mode })), mode).toEqual([{ reason: 'InvalidSpec', path: 'spec.mode', message: expect.stringContaining('octal') }]);
    }
    expect(validateSpec(spec({ mode: 775 as unknown as string }))[0]?.path).toBe('spec.mode');
    expect(validateSpec(spec({ mode: '0644' }))).toEqual([{ reason: 'InvalidSpec', path: 'spec.mode', message: expect.stringContaining('no search (x) permission') }]);
    for (const mode of ['775', '0775', '2775', '02770', '1777']) expect(validateSpec(spec({ mode })), mode).toEqual([]);
  });

  it('names a container listed twice, a bad share path, and paths an mpN line cannot carry', () => {
    expect(validateSpec(spec({ shareInto: [{ container: '100' }, { container: '101' }, { container: '100', path: '/srv' }] }))).toEqual([
      { reason: 'InvalidSpec', path: 'spec.shareInto[2].container', message: expect.stringContaining('already listed at spec.shareInto[0]') },
    ]);
    expect(problemsAt(spec({ shareInto: [{ container: '100', path: 'data' }] }))).toEqual(['spec.shareInto[0].path']);
    expect(problemsAt(spec({ shareInto: [{ container: '100', path: '/' }] }))).toEqual(['spec.shareInto[0].path']);
    expect(problemsAt(spec({ shareInto: [{ container: '100', path: '/a,b' }] }))).toEqual(['spec.shareInto[0].path']);
    expect(problemsAt(spec({ root: '/da=ta' }))).toEqual(['spec.root']);
    expect(problemsAt(spec({ root: '/da=ta', shareInto: [] }))).toEqual([]);
  });
});
