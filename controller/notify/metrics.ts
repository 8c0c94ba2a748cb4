/**
 * The notifications' Prometheus counter on the process registry: per Notifier, how many were sent, failed (one per
 * attempt), grouped (a repeat counted into a later message) or dropped (the queue was full). Looked up by name
 * after its first creation, so a second daemon in the process never registers it twice.
 */
import { Counter } from 'prom-client';
import { metricsRegistry } from '../../reconcilers/core/metrics.js';

const NAME = 'homeostat_notifications_total';

export type NotificationResult = 'sent' | 'failed' | 'grouped' | 'dropped';

export function notificationsCounter(): Counter<'notifier' | 'result'> {
  return (
    (metricsRegistry.getSingleMetric(NAME) as Counter<'notifier' | 'result'> | undefined) ??
    new Counter({
      name: NAME,
      help: 'Notifications per Notifier: sent, failed (per attempt; retried with backoff), grouped into a later message, or dropped from a full queue.',
      labelNames: ['notifier', 'result'],
      registers: [metricsRegistry],
    })
  );
}
