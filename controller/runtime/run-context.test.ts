/**
 * The run-context builder on a real state store: `live` writes inventory, cache, status fields and events through
 * (and the inventory it shows is live within the run); `dryRun` reads the same store and writes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { LocalHost } from '../../reconcilers/host/index.js';
import { testResource } from '../../test/support/resource.js';
import { emptyStatus, StateStore } from '../state/store.js';
import { buildRunEnv } from './run-context.js';

const resource = testResource('Gate', 'g', {});
const reconciler = { kind: 'Gate' } as Reconciler<any, any, Change>;
const item = { type: 'file', host: 'local', id: '/etc/x' };

let dir: string;
let store: StateStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-run-context-'));
  store = new StateStore(dir);
  store.putStatus('Gate', 'g', { ...emptyStatus(), memo: { seen: 1 } });
  store.saveCache('Gate', 'g', new Map([['a', '1']]));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const target = () => ({ resource, reconciler, host: new LocalHost({ name: 'local' }), signal: new AbortController().signal });

describe('buildRunEnv', () => {
  it('live: writes go through to the store; the inventory is live within the run', () => {
    const events: string[] = [];
    const { env, fields } = buildRunEnv(target(), { mode: 'live', store, log: silentLogger, event: (type, reason) => events.push(`${type}/${reason}`) });
    const { ctx } = env;
    expect(env.reconciler).toBe(reconciler);
    expect(ctx.memo).toEqual({ seen: 1 });
    expect(ctx.cache.load()).toEqual(new Map([['a', '1']]));
    ctx.recordInventory(item);
    expect(ctx.inventory).toMatchObject([item]);
    expect(store.listInventory('Gate', 'g')).toMatchObject([item]);
    ctx.cache.save(new Map([['b', '2']]));
    expect(store.loadCache('Gate', 'g')).toEqual(new Map([['b', '2']]));
    ctx.setStatus({ lastHeartbeat: 'now' });
    expect(fields).toEqual({ lastHeartbeat: 'now' });
    ctx.event('Normal', 'Started', 'x');
    expect(events).toEqual(['Normal/Started']);
    ctx.forgetInventory(item);
    expect(store.listInventory('Gate', 'g')).toEqual([]);
    ctx.memo.seen = 2;
    expect(store.getStatus('Gate', 'g').memo).toEqual({ seen: 1 }); // memo is the controller's to write after the run
  });

  it('dryRun: reads the store, drops every write', () => {
    store.recordInventory('Gate', 'g', item);
    const { env, fields } = buildRunEnv(target(), { mode: 'dryRun', store, log: silentLogger });
    const { ctx } = env;
    expect(ctx.memo).toEqual({ seen: 1 });
    expect(ctx.inventory).toMatchObject([item]);
    ctx.recordInventory({ ...item, id: '/etc/y' });
    ctx.forgetInventory(item);
    ctx.cache.save(new Map());
    ctx.setStatus({ lastHeartbeat: 'now' });
    ctx.event('Warning', 'Nope', 'x');
    expect(store.listInventory('Gate', 'g')).toMatchObject([item]);
    expect(store.loadCache('Gate', 'g')).toEqual(new Map([['a', '1']]));
    expect(store.listEvents('Gate', 'g')).toEqual([]);
    expect(fields).toEqual({});
  });

  it('dryRun without a state store: empty inventory, memo and cache', () => {
    const { ctx } = buildRunEnv(target(), { mode: 'dryRun', store: null, log: silentLogger }).env;
    expect(ctx.inventory).toEqual([]);
    expect(ctx.memo).toEqual({});
    expect(ctx.cache.load()).toEqual(new Map());
  });
});
