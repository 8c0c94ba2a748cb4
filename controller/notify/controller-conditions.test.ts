import { describe, expect, it } from 'vitest';
import type { Condition } from '../state/conditions.js';
import { ControllerConditionTracker, isBad } from './controller-conditions.js';

const c = (type: string, status: Condition['status'], reason: string, message = ''): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration: null,
  lastTransitionTime: '2026-12-01T10:00:00.000Z',
});

describe('controller conditions', () => {
  it('PruneHeld is bad when True, ManifestsValid (and the others) when False', () => {
    expect(isBad(c('PruneHeld', 'True', 'MassDeletion'))).toBe(true);
    expect(isBad(c('PruneHeld', 'False', 'NothingHeld'))).toBe(false);
    expect(isBad(c('ManifestsValid', 'False', 'InvalidManifests'))).toBe(true);
    expect(isBad(c('SourceReady', 'True', 'Fetched'))).toBe(false);
  });

  it('going bad is a Warning under Controller/<type>, going back is Recovered; staying bad is nothing', () => {
    const t = new ControllerConditionTracker('local');
    t.seed(c('ManifestsValid', 'True', 'Valid'));
    expect(t.update(c('PruneHeld', 'True', 'MassDeletion', '6 resource(s) disappeared'))).toEqual({
      kind: 'Controller',
      name: 'PruneHeld',
      host: 'local',
      type: 'Warning',
      reason: 'MassDeletion',
      message: '6 resource(s) disappeared',
      time: '2026-12-01T10:00:00.000Z',
    });
    expect(t.update(c('PruneHeld', 'True', 'MassDeletion', '7 resource(s) disappeared'))).toBeNull();
    expect(t.update(c('PruneHeld', 'False', 'NothingHeld'))).toMatchObject({ type: 'Normal', reason: 'Recovered', message: 'PruneHeld: no longer MassDeletion', resolves: true });
    expect(t.update(c('ManifestsValid', 'True', 'Valid'))).toBeNull();
  });
});
