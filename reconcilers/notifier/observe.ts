/**
 * A Notifier's observation: its token file can be read and used (else the run fails with the secret-file reason,
 * retried), and how sending goes, from the dispatcher's board (health.ts), shown as status fields. No host is
 * touched: notifications leave from the machine homeostat runs on.
 */
import type { ReconcileContext } from '../core/contract.js';
import { notifierHealth, type NotifierHealth } from './health.js';
import type { NotifierSpec } from './spec.js';
import { readToken } from './token.js';

export interface NotifierObserved {
  /** The dispatcher's entry for this generation of the spec; null before it sent anything with it (or in `diff`). */
  health: NotifierHealth | null;
}

export async function observeNotifier(ctx: ReconcileContext<NotifierSpec>): Promise<NotifierObserved> {
  await readToken(ctx.resource.spec);
  const entry = notifierHealth.get(ctx.resource.metadata.name);
  const health = entry && entry.generation === ctx.resource.generation ? entry : null;
  if (health) {
    ctx.setStatus({
      lastSentTime: health.lastSentTime,
      lastFailureTime: health.lastFailureTime,
      sent: health.sent,
      failed: health.failed,
      dropped: health.dropped,
      queued: health.queued,
    });
  }
  return { health };
}
