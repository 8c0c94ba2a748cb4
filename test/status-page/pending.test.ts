/**
 * The pure pieces of the status stream: what a store change records until the next flush (touched rows, a bulk
 * re-read, controller conditions last-wins, events bounded with the dropped ones counted), and a row's summary.
 */
import { describe, expect, it } from 'vitest';
import { PendingChanges, STREAM_EVENT_MESSAGE_CHARS } from '../../controller/http/stream/pending.js';
import { ROW_MESSAGE_CHARS, summarize } from '../../controller/http/stream/summary.js';
import type { Condition } from '../../controller/state/conditions.js';
import type { ResourceView } from '../../controller/status/views.js';

const condition = (status: Condition['status']): Condition => ({ type: 'PruneHeld', status, reason: 'r', message: '', observedGeneration: null, lastTransitionTime: 't' });
const event = (i: number, message = `m${i}`) => ({ type: 'event' as const, kind: 'K', name: 'n', event: { type: 'Normal' as const, reason: 'Applied', message, time: `t${i}` } });

describe('PendingChanges', () => {
  it('records touched resources, a bulk re-read, the last controller condition of each type, and starts afresh on take', () => {
    const pending = new PendingChanges(10);
    expect(pending.empty).toBe(true);
    pending.record({ type: 'status', kind: 'K', name: 'a' });
    pending.record({ type: 'status', kind: 'K', name: 'a' });
    pending.record({ type: 'resources', kind: 'K', name: 'b', deleted: true });
    pending.record({ type: 'controller', condition: condition('True') });
    pending.record({ type: 'controller', condition: condition('False') });
    expect(pending.empty).toBe(false);
    const taken = pending.take();
    expect([...taken.keys]).toEqual(['K/a', 'K/b']);
    expect(taken.allResources).toBe(false);
    expect([...taken.controller.values()]).toEqual([condition('False')]);
    expect(pending.empty).toBe(true);
    pending.record({ type: 'resources', deleted: false });
    expect(pending.take().allResources).toBe(true);
  });

  it('keeps at most maxEvents events, the newest, counting the dropped ones, and cuts long messages', () => {
    const pending = new PendingChanges(3);
    for (let i = 0; i < 5; i++) pending.record(event(i));
    pending.record(event(5, 'x'.repeat(STREAM_EVENT_MESSAGE_CHARS + 50)));
    const taken = pending.take();
    expect(taken.events.map((e) => e.time)).toEqual(['t3', 't4', 't5']);
    expect(taken.droppedEvents).toBe(3);
    expect(taken.events[2]!.message).toHaveLength(STREAM_EVENT_MESSAGE_CHARS);
    expect(taken.events[2]!.message.endsWith('…')).toBe(true);
  });
});

describe('summarize', () => {
  it('is the row the table shows: the short revision, a cut message, whether the spec is applied', () => {
    const view: ResourceView = {
      kind: 'StorageKeepalive', name: 'hdd', host: 'local', file: 'hdd.yaml', ready: 'False', status: 'NotMounted', message: 'y'.repeat(1000),
      createdAt: 't0', generation: 'g2', observedGeneration: 'g1', lastAppliedRevision: { commit: 'abcdef0123456789abcdef0123456789abcdef01', dirty: true },
      lastReconcileTime: 't1', conditions: [], fields: { big: 'x'.repeat(10_000) },
    };
    const row = summarize(view);
    expect(row).toMatchObject({ kind: 'StorageKeepalive', name: 'hdd', host: 'local', ready: 'False', reason: 'NotMounted', revision: 'abcdef012345-dirty', pending: true });
    expect(row.message).toHaveLength(ROW_MESSAGE_CHARS);
    expect(JSON.stringify(row)).not.toContain('xxxx'); // fields stay in the detail
  });
});
