/**
 * The git source's metrics on the process-wide registry `/metrics` serves: when the last fetch ended, whether it
 * worked, and how long fetches take.
 */
import { Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../../reconcilers/core/metrics.js';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const lastFetchTimestamp = once(
  'homeostat_source_last_fetch_timestamp_seconds',
  () => new Gauge({ name: 'homeostat_source_last_fetch_timestamp_seconds', help: 'When the git source last finished a fetch (Unix time).', registers: [metricsRegistry] }),
);

export const lastFetchSuccess = once(
  'homeostat_source_last_fetch_success',
  () => new Gauge({ name: 'homeostat_source_last_fetch_success', help: 'Whether the last fetch of the git source worked (1) or not (0).', registers: [metricsRegistry] }),
);

export const fetchDuration = once(
  'homeostat_source_fetch_duration_seconds',
  () =>
    new Histogram({
      name: 'homeostat_source_fetch_duration_seconds',
      help: 'How long fetches of the git source took, by result (ok, failed).',
      labelNames: ['result'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [metricsRegistry],
    }),
);

/** Records one fetch. */
export function recordFetch(ok: boolean, seconds: number, endedAt: Date): void {
  lastFetchTimestamp.set(endedAt.getTime() / 1000);
  lastFetchSuccess.set(ok ? 1 : 0);
  fetchDuration.observe({ result: ok ? 'ok' : 'failed' }, seconds);
}
