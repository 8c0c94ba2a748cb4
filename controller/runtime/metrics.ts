/**
 * The controller's own metrics, on the process-wide registry that `/metrics` serves: reconcile totals and
 * durations by kind and result, queue depth, and how many resources of each kind are Ready.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../../reconcilers/core/metrics.js';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const reconcileTotal = once(
  'homeostat_reconcile_total',
  () =>
    new Counter({
      name: 'homeostat_reconcile_total',
      help: 'Reconcile runs by kind and result (converged, failed, stalled, finalized).',
      labelNames: ['kind', 'result'],
      registers: [metricsRegistry],
    }),
);

export const reconcileErrors = once(
  'homeostat_reconcile_errors_total',
  () =>
    new Counter({
      name: 'homeostat_reconcile_errors_total',
      help: 'Reconcile runs that failed or stalled, by kind and reason.',
      labelNames: ['kind', 'reason'],
      registers: [metricsRegistry],
    }),
);

export const reconcileDuration = once(
  'homeostat_reconcile_duration_seconds',
  () =>
    new Histogram({
      name: 'homeostat_reconcile_duration_seconds',
      help: 'Duration of reconcile runs, by kind.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [metricsRegistry],
    }),
);

export const queueDepth = once(
  'homeostat_queue_depth',
  () => new Gauge({ name: 'homeostat_queue_depth', help: 'Keys waiting in the work queue.', registers: [metricsRegistry] }),
);

export const readyResources = once(
  'homeostat_resources_ready',
  () =>
    new Gauge({
      name: 'homeostat_resources_ready',
      help: 'Resources by kind and Ready status (True, False, Unknown).',
      labelNames: ['kind', 'status'],
      registers: [metricsRegistry],
    }),
);

/** Counts a run: its result, and for a failure or stall its reason. */
export function countRun(kind: string, outcome: { result: string; reason?: string }): void {
  reconcileTotal.inc({ kind, result: outcome.result });
  if ((outcome.result === 'failed' || outcome.result === 'stalled') && outcome.reason) reconcileErrors.inc({ kind, reason: outcome.reason });
}

/**
 * The process's memory, read when `/metrics` is scraped (nothing runs between scrapes): resident set size and the
 * V8 heap (used, total: what the heap reserved) and `external` (Buffers, native handles): whether a large RSS is
 * live objects or heap V8 has not handed back yet.
 */
export const processMemory = once(
  'homeostat_process_memory_bytes',
  () =>
    new Gauge({
      name: 'homeostat_process_memory_bytes',
      help: 'Memory of the homeostat process, by area: rss, heapUsed, heapTotal, external.',
      labelNames: ['area'],
      registers: [metricsRegistry],
      collect() {
        const usage = process.memoryUsage();
        for (const area of ['rss', 'heapUsed', 'heapTotal', 'external'] as const) this.set({ area }, usage[area]);
      },
    }),
);

/**
 * The V8 heap by space (new, old, code, large objects...), its size and what is used of it: which part of the heap
 * grew (a young generation sized for a burst, an old generation not yet shrunk) when `heapTotal` is large.
 */
export const heapSpaces = once(
  'homeostat_process_heap_space_bytes',
  () =>
    new Gauge({
      name: 'homeostat_process_heap_space_bytes',
      help: 'The V8 heap by space: its size (what V8 reserved) and what is used of it.',
      labelNames: ['space', 'measure'],
      registers: [metricsRegistry],
      collect() {
        for (const space of getHeapSpaceStatistics()) {
          this.set({ space: space.space_name, measure: 'size' }, space.space_size);
          this.set({ space: space.space_name, measure: 'used' }, space.space_used_size);
        }
      },
    }),
);

