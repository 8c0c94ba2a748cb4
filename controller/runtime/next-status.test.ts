/**
 * nextStatus, the pure status step after a run: conditions (Ready summarized), observedGeneration and
 * lastAppliedRevision only on success, and exactly the events a user should see (a stall once, not per run).
 */
import { describe, expect, it } from 'vitest';
import type { Revision } from '../../reconcilers/core/resource.js';
import { getCondition } from '../state/conditions.js';
import { emptyStatus, type ResourceStatus } from '../state/store.js';
import { nextStatus, reconcilingStatus, suspendedStatus, type SettledOutcome } from './next-status.js';

const t0 = new Date('2024-05-01T10:00:00Z');
const t1 = new Date('2024-05-01T10:05:00Z');
const revision: Revision = { commit: 'abc123', dirty: false };
const change = (summary: string) => ({ action: 'write', target: 'local:/etc/x', summary });

const converged = (extra: Partial<Extract<SettledOutcome, { result: 'converged' }>> = {}): SettledOutcome => ({
  result: 'converged',
  generation: 'g1',
  applied: [],
  ...extra,
});
const failed = (reason = 'HostUnreachable', message = 'connection refused'): SettledOutcome => ({
  result: 'failed',
  generation: 'g1',
  reason,
  message,
  error: null,
});
const stalled = (reason = 'DeviceNotFound', message = '/dev/ttyUSB0 does not exist', generation = 'g1'): SettledOutcome => ({
  result: 'stalled',
  generation,
  reason,
  message,
});

function step(previous: ResourceStatus, outcome: SettledOutcome, now = t0, retryInMs?: number) {
  return nextStatus(previous, outcome, { now, revision, ...(retryInMs !== undefined ? { retryInMs } : {}) });
}
const condition = (status: ResourceStatus, type: string) => getCondition(status.conditions, type);

describe('nextStatus', () => {
  it('converged with changes: Ready True, observedGeneration and revision set, one Applied event', () => {
    const { status, events } = step(emptyStatus(), converged({ applied: [change('write /etc/x'), change('restart y')] }));
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded', observedGeneration: 'g1' });
    expect(condition(status, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Succeeded' });
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'False' });
    expect(condition(status, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsDeclared' });
    expect(status.observedGeneration).toBe('g1');
    expect(status.lastAppliedRevision).toEqual(revision);
    expect(status.lastReconcileTime).toBe(t0.toISOString());
    expect(events).toEqual([{ type: 'Normal', reason: 'Applied', message: 'write /etc/x; restart y' }]);
  });

  it('converged with nothing to do: no event, the revision of the last apply stays', () => {
    const before: ResourceStatus = { ...emptyStatus(), lastAppliedRevision: { commit: 'old', dirty: false } };
    const { status, events } = step(before, converged());
    expect(events).toEqual([]);
    expect(status.lastAppliedRevision).toEqual({ commit: 'old', dirty: false });
    expect(condition(status, 'Ready')?.status).toBe('True');
  });

  it('keeps fields and memo, and never mutates the previous status', () => {
    const before: ResourceStatus = { ...emptyStatus(), fields: { lastHeartbeat: 'x' }, memo: { n: 1 } };
    const frozen = JSON.stringify(before);
    const { status } = step(before, converged({ applied: [change('a')] }));
    expect(JSON.stringify(before)).toBe(frozen);
    expect(status.fields).toEqual({ lastHeartbeat: 'x' });
    expect(status.memo).toEqual({ n: 1 });
  });

  it('Degraded: a Warning when it starts or changes reason, nothing while it lasts, Recovered when it ends', () => {
    const notMounted = { type: 'Degraded' as const, reason: 'NotMounted', message: '/mnt/hdd is not a mountpoint' };
    const first = step(emptyStatus(), converged({ degraded: notMounted }));
    expect(condition(first.status, 'Ready')).toMatchObject({ status: 'False', reason: 'NotMounted' });
    expect(first.events).toEqual([{ type: 'Warning', reason: 'NotMounted', message: '/mnt/hdd is not a mountpoint' }]);
    expect(first.status.observedGeneration).toBe('g1'); // degraded is not an error

    const again = step(first.status, converged({ degraded: notMounted }), t1);
    expect(again.events).toEqual([]);
    expect(condition(again.status, 'Degraded')?.lastTransitionTime).toBe(t0.toISOString());

    const other = step(again.status, converged({ degraded: { type: 'Degraded', reason: 'ReadOnly', message: 'ro' } }), t1);
    expect(other.events).toEqual([{ type: 'Warning', reason: 'ReadOnly', message: 'ro' }]);

    const recovered = step(other.status, converged(), t1);
    expect(recovered.events).toEqual([{ type: 'Normal', reason: 'Recovered', message: 'no longer ReadOnly' }]);
    expect(condition(recovered.status, 'Ready')?.status).toBe('True');
  });

  it('an Applied event comes before a Degraded one', () => {
    const { events } = step(emptyStatus(), converged({ applied: [change('a')], degraded: { type: 'Degraded', reason: 'NotMounted', message: 'm' } }));
    expect(events.map((e) => e.reason)).toEqual(['Applied', 'NotMounted']);
  });

  it('failed: Ready False with the reason, Stalled False/Retrying, a Warning with the retry delay, no observedGeneration', () => {
    const { status, events } = step(emptyStatus(), failed(), t0, 1234.4);
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'HostUnreachable', message: 'connection refused' });
    expect(condition(status, 'Reconciling')).toMatchObject({ status: 'False', reason: 'HostUnreachable' });
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'False', reason: 'Retrying' });
    expect(status.observedGeneration).toBeNull();
    expect(status.lastAppliedRevision).toBeNull();
    expect(events).toEqual([{ type: 'Warning', reason: 'HostUnreachable', message: 'connection refused (retry in 1234 ms)' }]);
  });

  it('failed after converged keeps the observedGeneration and Degraded of the last success', () => {
    const ok = step(emptyStatus(), converged({ degraded: { type: 'Degraded', reason: 'NotMounted', message: 'm' } }));
    const { status, events } = step(ok.status, failed(), t1, 500);
    expect(status.observedGeneration).toBe('g1');
    expect(condition(status, 'Degraded')).toMatchObject({ status: 'True', reason: 'NotMounted' });
    expect(events).toHaveLength(1); // the failure only: Degraded did not change
  });

  it('stalled: Stalled True, Ready False with its reason, the event only when the stall changes', () => {
    const first = step(emptyStatus(), stalled());
    expect(condition(first.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'DeviceNotFound' });
    expect(condition(first.status, 'Ready')).toMatchObject({ status: 'False', reason: 'DeviceNotFound', message: '/dev/ttyUSB0 does not exist' });
    expect(first.events).toEqual([{ type: 'Warning', reason: 'DeviceNotFound', message: '/dev/ttyUSB0 does not exist' }]);

    expect(step(first.status, stalled(), t1).events).toEqual([]); // same stall: no new event
    expect(step(first.status, stalled('DeviceNotFound', '/dev/ttyUSB1 does not exist'), t1).events).toHaveLength(1);
    expect(step(first.status, stalled('InvalidSpec', 'spec.x: bad'), t1).events).toHaveLength(1);
  });

  it('converged after stalled clears Stalled and makes Ready True', () => {
    const first = step(emptyStatus(), stalled());
    const { status } = step(first.status, converged(), t1);
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'False', lastTransitionTime: t1.toISOString() });
    expect(condition(status, 'Ready')?.status).toBe('True');
  });

  it('conditions carry the generation of the outcome', () => {
    const { status } = step(emptyStatus(), stalled('InvalidSpec', 'bad', 'g7'));
    expect(status.conditions.every((c) => c.observedGeneration === 'g7')).toBe(true);
  });
});

describe('reconcilingStatus and suspendedStatus', () => {
  it('Reconciling True leaves Ready as it was', () => {
    const ok = step(emptyStatus(), converged()).status;
    const running = reconcilingStatus(ok, 'g2', t1);
    expect(condition(running, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Progressing', observedGeneration: 'g2' });
    expect(condition(running, 'Ready')).toEqual(condition(ok, 'Ready'));
  });

  it('suspended: Reconciling False/Suspended and Ready Unknown/Suspended, nothing else', () => {
    const ok = step(emptyStatus(), converged({ applied: [change('a')] })).status;
    const suspended = suspendedStatus(ok, 'g1', t1);
    expect(condition(suspended, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(condition(suspended, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Suspended' });
    expect(suspended.observedGeneration).toBe(ok.observedGeneration);
    expect(suspended.lastReconcileTime).toBe(ok.lastReconcileTime);
  });
});
