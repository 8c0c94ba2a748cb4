/**
 * A kind's own conditions through the pure status step: set in the order reported and removed when no longer
 * reported, Ready False with the first False one's reason (before Degraded's), Unknown leaving Ready alone, and
 * one event per change of status — not one per run.
 */
import { describe, expect, it } from 'vitest';
import type { KindCondition } from '../../reconcilers/core/contract.js';
import { nextStatus, type SettledOutcome } from '../runtime/next-status.js';
import { getCondition } from './conditions.js';
import { kindConditionEvents, setKindConditions } from './kind-conditions.js';
import { emptyStatus, type ResourceStatus } from './store.js';

const t0 = new Date('2026-05-01T10:00:00Z');
const t1 = new Date('2026-05-01T10:05:00Z');
const up: KindCondition = { type: 'TunnelUp', status: 'True', reason: 'TunnelUp', message: 'gluetun reports the VPN running' };
const down: KindCondition = { type: 'TunnelUp', status: 'False', reason: 'TunnelDown', message: 'gluetun reports the VPN stopped' };
const unknown: KindCondition = { type: 'TunnelUp', status: 'Unknown', reason: 'ControlServerUnreachable', message: 'ECONNREFUSED' };
const leak: KindCondition = { type: 'NoLeak', status: 'False', reason: 'KillSwitchViolation', message: 'reached 1.1.1.1:443' };

function run(previous: ResourceStatus, conditions: KindCondition[] | undefined, extra: Partial<Extract<SettledOutcome, { result: 'converged' }>> = {}, now = t0) {
  const outcome: SettledOutcome = { result: 'converged', generation: 'g1', applied: [], ...(conditions ? { conditions } : {}), ...extra };
  return nextStatus(previous, outcome, { now, revision: { commit: null, dirty: false } });
}

describe('a kind\'s own conditions', () => {
  it('True leaves Ready True; False makes Ready False with its reason, ahead of Degraded', () => {
    const first = run(emptyStatus(), [up]);
    expect(getCondition(first.status.conditions, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(getCondition(first.status.conditions, 'TunnelUp')).toMatchObject({ status: 'True', observedGeneration: 'g1' });
    expect(first.events).toEqual([]); // a first report that is True says nothing

    const second = run(first.status, [down], { degraded: { type: 'Degraded', reason: 'NoForwardedPort', message: 'none yet' } }, t1);
    expect(getCondition(second.status.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'TunnelDown', message: 'gluetun reports the VPN stopped' });
    expect(second.events).toContainEqual({ type: 'Warning', reason: 'TunnelDown', message: 'gluetun reports the VPN stopped' });
  });

  it('the first False one reported is Ready\'s reason; the order reported is kept', () => {
    const { status } = run(emptyStatus(), [leak, down]);
    expect(getCondition(status.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'KillSwitchViolation' });
    expect(status.conditions.map((c) => c.type)).toEqual(['Reconciling', 'Stalled', 'Degraded', 'Ready', 'NoLeak', 'TunnelUp']);
  });

  it('Unknown leaves Ready alone, and says nothing', () => {
    const first = run(emptyStatus(), [up]);
    const second = run(first.status, [unknown], {}, t1);
    expect(getCondition(second.status.conditions, 'Ready')?.status).toBe('True');
    expect(second.events).toEqual([]);
  });

  it('one event per change: down once, not again while it stays down; up again once', () => {
    let status = run(emptyStatus(), [up]).status;
    const reasons: string[] = [];
    for (const c of [down, down, down, up, up, unknown, up]) {
      const next = run(status, [c], {}, t1);
      reasons.push(...next.events.map((e) => `${e.type}/${e.reason}`));
      status = next.status;
    }
    expect(reasons).toEqual(['Warning/TunnelDown', 'Normal/TunnelUp', 'Normal/TunnelUp']);
  });

  it('lastTransitionTime moves only when the status changes; a condition no longer reported is removed', () => {
    const first = run(emptyStatus(), [down]);
    const again = run(first.status, [down], {}, t1);
    expect(getCondition(again.status.conditions, 'TunnelUp')?.lastTransitionTime).toBe(t0.toISOString());
    const gone = run(again.status, undefined, {}, t1);
    expect(getCondition(gone.status.conditions, 'TunnelUp')).toBeUndefined();
    expect(getCondition(gone.status.conditions, 'Ready')?.status).toBe('True');
  });

  it('the runtime\'s conditions are never replaced by a kind, and kinds of other reporters are kept apart', () => {
    const before = run(emptyStatus(), [up]).status.conditions;
    const forged = setKindConditions(before, [{ type: 'Ready', status: 'False', reason: 'Forged', message: '' }], 'g1', t1);
    expect(getCondition(forged, 'Ready')?.reason).toBe('Succeeded');
    expect(getCondition(forged, 'TunnelUp')).toBeUndefined();
    expect(kindConditionEvents(before, before)).toEqual([]);
  });
});
