/**
 * The one prom-client registry of the process. The controller's `/metrics` serves it; reconcilers register
 * their own metrics on it (e.g. StorageKeepalive's heartbeat latency) with the `homeostat_` prefix.
 */
import { Registry } from 'prom-client';

export const metricsRegistry = new Registry();
