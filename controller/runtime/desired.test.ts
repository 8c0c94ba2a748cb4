import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELETION_SERIES_GAP_MS, DesiredState, wouldTripGuard } from './desired.js';
import type { Resource } from '../../reconcilers/core/resource.js';
import { byKey, testResource } from '../../test/support/resource.js';

const res = (name: string, generation = 'g1'): Resource => testResource('StorageKeepalive', name, { path: `/mnt/${name}` }, { generation });
const snap = (...rs: Resource[]) => byKey(rs);

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

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
const names = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);
const snapOf = (keep: readonly string[]) => snap(...keep.map((n) => res(n)));

describe('the mass-deletion guard counts a series of deletions', () => {
  it('6 of 8 removed in steps of 2, 2, 2 within minutes: the third step is held, as 6 at once would be', () => {
    const c = clock();
    const d = new DesiredState({ now: c.now });
    const all = names(8);
    d.accept(snapOf(all));
    c.advance(60_000);
    expect(d.accept(snapOf(all.slice(2))).deleted).toHaveLength(2);
    c.advance(9 * 60_000);
    expect(d.accept(snapOf(all.slice(4))).deleted).toHaveLength(2); // 4 of 8: not more than half
    c.advance(9 * 60_000);
    const third = d.accept(snapOf(all.slice(5)));
    expect(third.deleted).toEqual([]);
    expect(third.held).toEqual(['StorageKeepalive/r4']);
    expect(d.keys()).toHaveLength(4);
  });

  it('deletions ten minutes or more apart start a new series, counted against what is in force then', () => {
    const c = clock();
    const d = new DesiredState({ now: c.now });
    const all = names(8);
    d.accept(snapOf(all));
    expect(d.accept(snapOf(all.slice(2))).deleted).toHaveLength(2);
    expect(d.accept(snapOf(all.slice(4))).deleted).toHaveLength(2);
    c.advance(DELETION_SERIES_GAP_MS);
    expect(d.accept(snapOf(all.slice(6))).deleted).toHaveLength(2); // 2 of 4
  });

  it('a reload without a deletion does not end the series; files that come back no longer count', () => {
    const c = clock();
    const d = new DesiredState({ now: c.now });
    const all = names(8);
    d.accept(snapOf(all));
    expect(d.accept(snapOf(all.slice(3))).deleted).toHaveLength(3);
    c.advance(4 * 60_000);
    d.accept(snapOf([...all.slice(3), 'new'])); // an addition, no deletion
    c.advance(5 * 60_000);
    expect(d.accept(snapOf(all.slice(4))).held).toEqual(['StorageKeepalive/r3', 'StorageKeepalive/new']); // 5 of the 8
    expect(d.accept(snapOf([...all, 'new'])).held).toEqual([]); // all back
    expect(d.accept(snapOf([...all.slice(4), 'new'])).deleted).toHaveLength(4); // 4 of 8 net: allowed
  });

  it('prune --confirm ends the series', () => {
    const c = clock();
    const d = new DesiredState({ now: c.now });
    const all = names(8);
    d.accept(snapOf(all));
    d.accept(snapOf(all.slice(4)));
    expect(d.accept(snapOf(all.slice(5))).held).toHaveLength(1);
    expect(d.confirmPrune().map((x) => x.key)).toEqual(['StorageKeepalive/r4']);
    c.advance(1000);
    expect(d.accept(snapOf(all.slice(6))).deleted).toHaveLength(1); // a new series: 1 of 3
  });

  it('any sequence of reloads within a series never prunes more than half (and more than two) of its starting set, and holds what would', () => {
    const step = fc.record({
      keep: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      extra: fc.subarray(['x', 'y', 'z']),
      // Eight steps at most, so the whole sequence stays within one series.
      after: fc.integer({ min: 0, max: Math.floor((DELETION_SERIES_GAP_MS - 1) / 8) }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(step, { minLength: 1, maxLength: 8 }), (n, steps) => {
        const c = clock();
        const d = new DesiredState({ now: c.now });
        const names0 = names(n);
        d.accept(snapOf(names0));
        /** The series' starting set: what was in force before the first reload that deleted (or held) anything. */
        let start: string[] | null = null;
        for (const { keep, extra, after } of steps) {
          c.advance(after);
          const kept = [...names0.filter((_, i) => keep[i]), ...extra];
          const before = d.keys();
          const change = d.accept(snapOf(kept));
          if (!start && (change.deleted.length > 0 || change.held.length > 0)) start = before;
          if (!start) continue;
          const inForce = new Set(d.keys());
          const pruned = start.filter((k) => !inForce.has(k));
          expect(wouldTripGuard(start.length, pruned.length)).toBe(false);
          const missing = start.filter((k) => !kept.includes(k.split('/')[1]!));
          if (wouldTripGuard(start.length, missing.length)) {
            expect(change.deleted).toEqual([]);
            expect(change.held.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
