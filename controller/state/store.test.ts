/**
 * The SQLite state store: status, inventory, events and the per-resource cache survive a reopen (a restart), and
 * forgetting a resource drops its inventory and cache but keeps its events for `describe` history.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from './store.js';
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
});
