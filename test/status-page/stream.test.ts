/**
 * The status page's live stream over real HTTP on loopback, on a real state store: a snapshot on connect, then
 * only the rows that changed (coalesced), removals, controller conditions, events and the source's state; the
 * store's feed followed only while a reader is connected; and the bounds: readers in number, a reader that does
 * not read dropped once it is too far behind, heartbeats, a stream's lifetime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttp, type HttpEndpoint, type HttpOptions } from '../../controller/http/index.js';
import type { SourceControl, SourceState } from '../../controller/source/types.js';
import type { Condition } from '../../controller/state/conditions.js';
import { StateStore, type ResourceStatus } from '../../controller/state/store.js';
import { testResource } from '../support/resource.js';
import { sleep, waitUntil } from '../support/wait.js';
import { openStream, type SseMessage, type SseReader } from './sse-reader.js';

let dir: string;
let store: StateStore;
let http: HttpEndpoint | undefined;
const readers: SseReader[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-stream-'));
  store = new StateStore(join(dir, 'state'));
});
afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  await http?.close();
  http = undefined;
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(options: HttpOptions = {}, source?: SourceControl): Promise<string> {
  const controls = { store, isReady: () => true, reconcileNow: () => true, confirmPrune: () => [], ...(source ? { source } : {}) };
  http = await startHttp(controls, { host: '127.0.0.1', port: 0 }, 'x'.repeat(43), { ...options, stream: { coalesceMs: 40, ...options.stream } });
  return http.url;
}

async function open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await openStream(url, headers);
  readers.push(reader);
  return reader;
}

function seed(names: string[]): void {
  store.upsertResources(
    names.map((name) => ({ kind: 'StorageKeepalive', name, host: 'local', file: `${name}.yaml`, generation: 'g1', resource: testResource('StorageKeepalive', name, {}) })),
  );
  for (const name of names) store.putStatus('StorageKeepalive', name, status('True', 'Succeeded', 'live state matches the spec'));
}

function status(ready: Condition['status'], reason: string, message: string): ResourceStatus {
  const time = '2025-01-01T00:00:00.000Z';
  return {
    conditions: [{ type: 'Ready', status: ready, reason, message, observedGeneration: 'g1', lastTransitionTime: time }],
    observedGeneration: 'g1',
    lastAppliedRevision: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    lastReconcileTime: time,
    fields: {},
    memo: {},
  };
}

const deltas = (messages: SseMessage[]) => messages.filter((m) => m.event === 'delta');
const names = (n: number) => Array.from({ length: n }, (_, i) => `disk-${String(i).padStart(3, '0')}`);

describe('the status stream', () => {
  it('sends a snapshot of every row on connect, then only the rows that changed, coalesced', async () => {
    seed(names(50));
    const url = await serve();
    expect(store.changes.active).toBe(false);
    const reader = await open(url);
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(reader.headers['cache-control']).toBe('no-store');
    const snapshot = (await reader.waitFor('the snapshot', (m) => m.find((x) => x.event === 'snapshot'))).data;
    expect(snapshot.rows).toHaveLength(50);
    expect(snapshot.rows[0]).toMatchObject({ kind: 'StorageKeepalive', host: 'local', ready: 'True', reason: 'Succeeded', revision: '0123456789ab' });
    expect(store.changes.active).toBe(true);

    // Ten writes to one resource and one to another within the coalescing window: one delta, two rows, the last state.
    for (let i = 0; i < 10; i++) store.putStatus('StorageKeepalive', 'disk-003', status('False', 'NotMounted', `attempt ${i}`));
    store.putStatus('StorageKeepalive', 'disk-007', status('Unknown', 'Progressing', 'reconciling'));
    const delta = await reader.waitFor('a delta', (m) => deltas(m)[0]);
    expect(delta.data.rows.map((r: { name: string }) => r.name).sort()).toEqual(['disk-003', 'disk-007']);
    expect(delta.data.rows.find((r: { name: string }) => r.name === 'disk-003')).toMatchObject({ ready: 'False', reason: 'NotMounted', message: 'attempt 9' });
    expect(delta.data.removed).toEqual([]);
    expect(delta.data.controller).toBeUndefined();

    // A write that changes nothing the row shows sends nothing.
    store.putStatus('StorageKeepalive', 'disk-010', status('True', 'Succeeded', 'live state matches the spec'));
    await sleep(200);
    expect(deltas(reader.messages)).toHaveLength(1);

    reader.close();
    await waitUntil('the feed is left when the last reader goes', () => !store.changes.active);
  });

  it('sends removals, additions, controller conditions and events; a second reader\'s snapshot matches what the first has', async () => {
    seed(['a', 'b']);
    const url = await serve();
    const first = await open(url);
    await first.waitFor('the snapshot', (m) => m.length > 0);

    store.deleteResource('StorageKeepalive', 'a');
    seed(['c']);
    store.recordEvent('StorageKeepalive', 'b', 'Warning', 'DiskWokeUp', 'the disk was asleep');
    const held: Condition = { type: 'PruneHeld', status: 'True', reason: 'MassDeletion', message: 'held: x', observedGeneration: null, lastTransitionTime: new Date().toISOString() };
    store.putControllerCondition(held);
    const merged = await first.waitFor('the delta with all of it', (m) => {
      const all = deltas(m).map((d) => d.data);
      const removed = all.flatMap((d) => d.removed);
      const rows = all.flatMap((d) => d.rows.map((r: { name: string }) => r.name));
      const events = all.flatMap((d) => d.events);
      const controller = all.find((d) => d.controller)?.controller;
      return removed.includes('StorageKeepalive/a') && rows.includes('c') && events.length > 0 && controller ? { events, controller } : undefined;
    });
    expect(merged.events[0]).toMatchObject({ kind: 'StorageKeepalive', name: 'b', type: 'Warning', reason: 'DiskWokeUp', message: 'the disk was asleep' });
    expect(merged.controller).toEqual([held]);

    // A change still pending when the second reader connects reaches both: the first by a delta, the second in its snapshot.
    store.putStatus('StorageKeepalive', 'b', status('False', 'NotMounted', 'pending at connect'));
    const second = await open(url);
    const snapshot = (await second.waitFor('the second snapshot', (m) => m.find((x) => x.event === 'snapshot'))).data;
    expect(snapshot.rows.map((r: { name: string }) => r.name)).toEqual(['b', 'c']);
    expect(snapshot.rows[0]).toMatchObject({ reason: 'NotMounted', message: 'pending at connect' });
    expect(snapshot.controller).toEqual([held]);
    expect(snapshot.events).toEqual(merged.events);
    await first.waitFor('the first reader got it too', (m) => deltas(m).some((d) => d.data.rows.some((r: { message: string }) => r.message === 'pending at connect')));
  });

  it('sends the source\'s state in the snapshot and again when it changes', async () => {
    let state: SourceState = { type: 'git', location: 'file:///srv/lab.git', ref: 'main', path: 'manifests', appliedCommit: 'a'.repeat(40), lastFetchResult: 'ok' };
    const source: SourceControl = { state: () => state, refresh: async () => state };
    const url = await serve({ stream: { sourcePollMs: 50 } }, source);
    const reader = await open(url);
    const snapshot = (await reader.waitFor('the snapshot', (m) => m[0])).data;
    expect(snapshot.source).toEqual(state);
    state = { ...state, lastFetchResult: 'failed', lastFetchError: 'ref main vanished' };
    const delta = await reader.waitFor('the source delta', (m) => deltas(m).find((d) => d.data.source));
    expect(delta.data.source).toMatchObject({ lastFetchResult: 'failed', lastFetchError: 'ref main vanished' });
  });
});

describe('the stream\'s bounds', () => {
  it('answers a reader beyond maxClients with 503, sends heartbeats, and ends a stream after its lifetime', async () => {
    const url = await serve({ stream: { maxClients: 2, heartbeatMs: 50, maxStreamMs: 600 } });
    const a = await open(url);
    await open(url);
    const refused = await open(url);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    await waitUntil('heartbeats', () => a.comments.filter((c) => c.startsWith('heartbeat')).length >= 3);
    await waitUntil('the lifetime ends the stream', () => a.ended, 3000);
    const again = await open(url);
    expect(again.status).toBe(200);
  });

  it('drops a reader that does not read once it is maxBufferedBytes behind; a reader that reads keeps going', async () => {
    seed(names(1000));
    const url = await serve({ stream: { coalesceMs: 10, maxBufferedBytes: 256 * 1024 } });
    const reading = await open(url);
    const { port } = new URL(url);
    const stalled = connect({ host: '127.0.0.1', port: Number(port) });
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    stalled.pause(); // reads nothing: the kernel's buffers fill, then the server's
    try {
      await reading.waitFor('both connected', (m) => m.length > 0);
      let round = 0;
      // Every row changes every round, with a long message: ~400 KB per delta.
      await waitUntil(
        'the stalled reader is dropped',
        async () => {
          round++;
          for (const name of names(1000)) store.putStatus('StorageKeepalive', name, status('False', 'NotMounted', `round ${round} `.padEnd(380, '.')));
          await sleep(15);
          return http!.streamStats().droppedSlow === 1;
        },
        20_000,
      );
      const lastRound = round;
      await reading.waitFor('the reading reader has the last round', (m) => deltas(m).some((d) => d.data.rows.some((r: { message: string }) => r.message.startsWith(`round ${lastRound} `))), 5000);
      expect(reading.ended).toBe(false);
      expect(http!.streamStats()).toMatchObject({ clients: 1, droppedSlow: 1 });
    } finally {
      stalled.destroy();
    }
  }, 40_000);
});
