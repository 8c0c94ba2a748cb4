import { describe, expect, it } from 'vitest';
import { planNotifier } from './plan.js';

describe('planNotifier', () => {
  const health = { generation: 'g', message: 'http://127.0.0.1:1 answered HTTP 500 Internal Server Error', lastSentTime: null, lastFailureTime: null, sent: 0, failed: 1, dropped: 0, queued: 1 };
  it('never changes anything; Degraded/SendFailed with the error while the dispatcher cannot send', () => {
    expect(planNotifier({ health: null })).toEqual({ changes: [] });
    expect(planNotifier({ health: { ...health, state: 'ok' } })).toEqual({ changes: [] });
    expect(planNotifier({ health: { ...health, state: 'failing' } })).toEqual({
      changes: [],
      degraded: { type: 'Degraded', reason: 'SendFailed', message: health.message },
    });
  });
});
