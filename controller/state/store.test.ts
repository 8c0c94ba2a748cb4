/**
 * The SQLite state store: status, inventory, events and the per-resource cache survive a reopen (a restart), and
 * forgetting a resource drops its inventory and cache but keeps its events for `describe` history. Group commit:
 * statuses of one turn are one transaction, read back at once by this process and by another once committed;
 * resource rows are on disk at once, an inventory record once awaited.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyStatus, EVENTS_PER_RESOURCE, StateStore } from './store.js';
import { forgetSecret, registerSecret } from '../../reconcilers/core/redact.js';
import { testResource } from '../../test/support/resource.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const resource = testResource('UnifiedNamespace', 'data', { root: '/data' });

describe('StateStore', () => {
  it('keeps everything across a reopen; deleting a resource drops inventory and cache, not events', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-store-'));
    dirs.push(dir);
    let store = new StateStore(dir);
    store.upsertResource({ kind: 'UnifiedNamespace', name: 'data', host: 'local', file: 'data.yaml', generation: 'g1', resource });
    store.recordInventory('UnifiedNamespace', 'data', { type: 'directory', host: 'local', id: '/data/media' });
    store.saveCache('UnifiedNamespace', 'data', new Map([['a.1', 'ff00'], ['b.2', '00ff']]));
    store.saveCache('UnifiedNamespace', 'data', new Map([['b.2', '00ff'], ['c.3', 'abcd']])); // replaces
    store.recordEvent('UnifiedNamespace', 'data', 'Normal', 'Applied', 'create /data/media');
    store.recordEvent('UnifiedNamespace', 'data', 'Normal', 'Applied', 'create /data/media');
    store.close();

    store = new StateStore(dir);
    expect(store.getResource('UnifiedNamespace', 'data')?.resource).toEqual(resource);
    expect(store.listInventory('UnifiedNamespace', 'data')).toEqual([{ type: 'directory', host: 'local', id: '/data/media' }]);
    expect([...store.loadCache('UnifiedNamespace', 'data')]).toEqual([['b.2', '00ff'], ['c.3', 'abcd']]);
    expect(store.listEvents('UnifiedNamespace', 'data')).toMatchObject([{ reason: 'Applied', count: 2 }]);

    store.deleteResource('UnifiedNamespace', 'data');
    expect(store.getResource('UnifiedNamespace', 'data')).toBeNull();
    expect(store.listInventory('UnifiedNamespace', 'data')).toEqual([]);
    expect(store.loadCache('UnifiedNamespace', 'data').size).toBe(0);
    expect(store.listEvents('UnifiedNamespace', 'data')).toHaveLength(1);
    store.close();
  });

  it('group commit: a turn\'s statuses and events are one commit, read at once here; resources are on disk at once, an awaited inventory record too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-store-'));
    dirs.push(dir);
    const store = new StateStore(dir);
    const other = () => new StateStore(dir, { readonly: true });
    store.upsertResource({ kind: 'UnifiedNamespace', name: 'data', host: 'local', file: 'data.yaml', generation: 'g1', resource });
    await store.recordInventory('UnifiedNamespace', 'data', { type: 'directory', host: 'local', id: '/data/media' });
    const reader = other();
    expect(reader.getResource('UnifiedNamespace', 'data')?.generation).toBe('g1');
    expect(reader.listInventory('UnifiedNamespace', 'data')).toHaveLength(1);

    const walBefore = walFrames(store);
    for (let i = 0; i < 50; i++) {
      const status = { ...emptyStatus(), observedGeneration: `g${i}`, memo: { n: i } };
      store.putStatus('UnifiedNamespace', `r${i}`, status);
      status.memo.n = -1; // the store keeps what was put, not a live reference
      store.recordEvent('UnifiedNamespace', `r${i}`, 'Normal', 'Converged', `run ${i}`);
    }
    expect(store.getStatus('UnifiedNamespace', 'r7')).toMatchObject({ observedGeneration: 'g7', memo: { n: 7 } });
    expect(reader.getStatus('UnifiedNamespace', 'r7').observedGeneration).toBeNull();
    const committed = await new Promise<boolean>((resolve) => store.afterCommit(() => resolve(true)));
    expect(committed).toBe(true);
    expect(reader.getStatus('UnifiedNamespace', 'r7')).toMatchObject({ observedGeneration: 'g7', memo: { n: 7 } });
    expect(reader.listEvents('UnifiedNamespace', 'r49')).toMatchObject([{ reason: 'Converged', message: 'run 49' }]);
    // One transaction: 100 rows written in far fewer WAL commits than one per write.
    expect(walFrames(store) - walBefore).toBeLessThan(50);

    store.putStatus('UnifiedNamespace', 'data', { ...emptyStatus(), observedGeneration: 'g1' });
    store.deleteResource('UnifiedNamespace', 'data');
    await new Promise<void>((resolve) => store.afterCommit(resolve));
    expect(reader.getStatus('UnifiedNamespace', 'data').observedGeneration).toBeNull();
    reader.close();
    store.close();
  });

  it('tells change listeners what was written, redacted, and a throwing listener breaks nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-store-'));
    dirs.push(dir);
    const store = new StateStore(dir);
    const seen: string[] = [];
    const errors: unknown[] = [];
    store.changes.onListenerError = (err) => errors.push(err);
    store.onChange(() => {
      throw new Error('listener bug');
    });
    registerSecret('test:store-feed', 'hunter2');
    const stop = store.onChange((c) => seen.push(c.type === 'event' ? `event:${c.event.reason}:${c.event.message}` : c.type === 'controller' ? `controller:${c.condition.type}` : `${c.type}`));
    store.upsertResource({ kind: 'UnifiedNamespace', name: 'data', host: 'local', file: 'data.yaml', generation: 'g1', resource });
    store.putStatus('UnifiedNamespace', 'data', emptyStatus());
    store.recordEvent('UnifiedNamespace', 'data', 'Warning', 'Failed', 'login failed with password=hunter2');
    store.putControllerCondition({ type: 'ManifestsValid', status: 'True', reason: 'Valid', message: '', observedGeneration: null, lastTransitionTime: new Date().toISOString() });
    store.deleteResource('UnifiedNamespace', 'data');
    stop();
    store.putStatus('UnifiedNamespace', 'other', emptyStatus());
    expect(seen).toEqual(['resources', 'status', expect.stringMatching(/^event:Failed:login failed with password=(?!hunter2)/), 'controller:ManifestsValid', 'resources']);
    forgetSecret('test:store-feed');
    expect(errors).toHaveLength(6); // the throwing listener was told all six writes, each time without harm
    expect(store.listControllerConditions()).toMatchObject([{ type: 'ManifestsValid' }]);
    store.close();
  });

  it('keeps the latest events of a resource (at most 100 after a trim), and counts a repeat across a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-store-'));
    dirs.push(dir);
    let store = new StateStore(dir);
    for (let i = 1; i <= 250; i++) store.recordEvent('UnifiedNamespace', 'data', 'Normal', 'Applied', `change ${i}`);
    const kept = store.listEvents('UnifiedNamespace', 'data', 1000);
    expect(kept.length).toBeGreaterThanOrEqual(EVENTS_PER_RESOURCE);
    expect(kept.length).toBeLessThanOrEqual(EVENTS_PER_RESOURCE + 20);
    expect(kept.at(-1)?.message).toBe('change 250');
    expect(kept.map((e) => e.message)).toEqual(Array.from({ length: kept.length }, (_, i) => `change ${251 - kept.length + i}`));
    store.close();
    store = new StateStore(dir);
    store.recordEvent('UnifiedNamespace', 'data', 'Normal', 'Applied', 'change 250');
    expect(store.listEvents('UnifiedNamespace', 'data', 1).at(-1)).toMatchObject({ message: 'change 250', count: 2 });
    store.close();
  });

  it('the inventory it keeps in memory is what SQLite holds, in its order, after any records and forgets (property)', async () => {
    const op = fc.record({ forget: fc.boolean(), resource: fc.constantFrom('a', 'b'), id: fc.constantFrom('x', 'y', 'z'), detail: fc.option(fc.integer(), { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const dir = mkdtempSync(join(tmpdir(), 'homeostat-store-'));
        dirs.push(dir);
        let store = new StateStore(dir);
        for (const o of ops) {
          const item = { type: 'directory', host: 'local', id: `/data/${o.id}`, ...(o.detail === undefined ? {} : { detail: { n: o.detail } }) };
          if (o.forget) store.forgetInventory('UnifiedNamespace', o.resource, item);
          else await store.recordInventory('UnifiedNamespace', o.resource, item);
        }
        const inMemory = ['a', 'b'].map((r) => store.listInventory('UnifiedNamespace', r));
        store.close();
        store = new StateStore(dir);
        expect(['a', 'b'].map((r) => store.listInventory('UnifiedNamespace', r))).toEqual(inMemory);
        store.close();
      }),
      { numRuns: 40 },
    );
  });
});

/** Frames in the WAL so far (`PRAGMA wal_checkpoint(PASSIVE)` reports the log size without truncating it). */
function walFrames(store: StateStore): number {
  const [row] = store.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
  return row!.log;
}
