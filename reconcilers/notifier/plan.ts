/**
 * A Notifier's plan, pure: there is nothing on a host to change, so it never has changes; it is Degraded
 * (Ready=False, `SendFailed`, the HTTP status or error in the message) while the dispatcher cannot send.
 */
import type { Plan } from '../core/contract.js';
import type { NotifierObserved } from './observe.js';
import type { NotifierDegradedReason } from './reasons.js';

export function planNotifier(observed: NotifierObserved): Plan {
  const health = observed.health;
  if (health?.state !== 'failing') return { changes: [] };
  const reason: NotifierDegradedReason = 'SendFailed';
  return { changes: [], degraded: { type: 'Degraded', reason, message: health.message } };
}
