import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DesiredState, wouldTripGuard } from './desired.js';
import type { Resource } from '../../reconcilers/core/resource.js';

function res(name: string, generation = 'g1'): Resource {
  return {
    apiVersion: 'homeostat.dev/v1alpha1',
    kind: 'StorageKeepalive',
    metadata: { name, labels: {}, annotations: {} },
    spec: { path: `/mnt/${name}` },
    source: { file: `${name}.yaml`, line: 1, col: 1 },
    generation,
  };
}
const snap = (...rs: Resource[]) => new Map(rs.map((r) => [`${r.kind}/${r.metadata.name}`, r]));

describe('DesiredState and the mass-deletion guard', () => {
  it('reports added and changed keys, deletes a few', () => {
    const d = new DesiredState();
    expect(d.accept(snap(res('a'), res('b'), res('c'), res('d'))).changed).toHaveLength(4);
    const next = d.accept(snap(res('a', 'g2'), res('b'), res('c')));
    expect(next.changed).toEqual(['StorageKeepalive/a']);
    expect(next.deleted.map((x) => x.key)).toEqual(['StorageKeepalive/d']);
    expect(next.held).toEqual([]);
  });

  it('holds a deletion of more than half (and more than two), until the files return', () => {
    const d = new DesiredState();
    d.accept(snap(res('a'), res('b'), res('c'), res('d'), res('e')));
    const emptied = d.accept(snap(res('a')));
    expect(emptied.deleted).toEqual([]);
    expect(emptied.held).toHaveLength(4);
    expect(d.keys()).toHaveLength(5); // still in force
    const back = d.accept(snap(res('a'), res('b'), res('c'), res('d'), res('e')));
    expect(back.held).toEqual([]);
    expect(back.deleted).toEqual([]);
  });

  it('releases held deletions on confirm', () => {
    const d = new DesiredState();
    d.accept(snap(res('a'), res('b'), res('c'), res('d')));
    expect(d.accept(snap()).held).toHaveLength(4);
    expect(d.confirmPrune().map((x) => x.key).sort()).toHaveLength(4);
    expect(d.keys()).toEqual([]);
    expect(d.held()).toEqual([]);
  });

  it('two deletions never trip the guard, even of two resources', () => {
    const d = new DesiredState();
    d.accept(snap(res('a'), res('b')));
    expect(d.accept(snap()).deleted).toHaveLength(2);
  });

  it('never prunes more than half (and more than two) in one reload, whatever the sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.subarray(['a', 'b', 'c', 'd', 'e', 'f', 'g']), { minLength: 1, maxLength: 10 }), (reloads) => {
        const d = new DesiredState();
        for (const names of reloads) {
          const before = d.keys().length;
          const change = d.accept(snap(...names.map((n) => res(n))));
          expect(wouldTripGuard(before, change.deleted.length)).toBe(false);
        }
      }),
    );
  });
});

describe('DesiredState and manifest errors', () => {
  it('never prunes a key that a manifest error names (claimed twice, or broken)', () => {
    const d = new DesiredState();
    d.accept(snap(res('a'), res('b'), res('c')));
    const change = d.accept(snap(res('a'), res('b')), new Map(), new Set(['StorageKeepalive/c']));
    expect(change.deleted).toEqual([]);
    expect(d.get('StorageKeepalive/c')?.generation).toBe('g1');
  });
});
