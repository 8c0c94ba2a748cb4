/**
 * StorageKeepalive's Prometheus metrics on the process registry: heartbeat latency and disk wake-ups, per
 * resource. Created on first use and looked up by name afterwards, so a second import of this module (or a
 * test re-running it) never registers them twice.
 */
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../core/metrics.js';

const LATENCY = 'homeostat_storage_heartbeat_seconds';
const WAKEUPS = 'homeostat_storage_disk_wakeups_total';

export interface KeepaliveMetrics {
  heartbeatSeconds: Histogram<'resource'>;
  diskWakeups: Counter<'resource'>;
}

export function keepaliveMetrics(): KeepaliveMetrics {
  const heartbeatSeconds =
    (metricsRegistry.getSingleMetric(LATENCY) as Histogram<'resource'> | undefined) ??
    new Histogram({
      name: LATENCY,
      help: 'Time to write (and fsync) one StorageKeepalive heartbeat; seconds-long ones mean the disk was asleep.',
      labelNames: ['resource'],
      // From a page-cache write to a USB disk spinning up (several seconds).
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers: [metricsRegistry],
    });
  const diskWakeups =
    (metricsRegistry.getSingleMetric(WAKEUPS) as Counter<'resource'> | undefined) ??
    new Counter({
      name: WAKEUPS,
      help: 'StorageKeepalive heartbeats slower than spec.slowThreshold: the disk had spun down.',
      labelNames: ['resource'],
      registers: [metricsRegistry],
    });
  return { heartbeatSeconds, diskWakeups };
}

/** Drop a deleted resource's series. */
export function forgetKeepaliveMetrics(resource: string): void {
  const { heartbeatSeconds, diskWakeups } = keepaliveMetrics();
  heartbeatSeconds.remove({ resource });
  diskWakeups.remove({ resource });
}
