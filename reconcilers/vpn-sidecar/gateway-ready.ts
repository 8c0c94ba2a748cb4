/**
 * Waiting for the gateway before its dependents start: until Docker reports it healthy when its image has a
 * healthcheck (gluetun's passes once the tunnel is up), or until it has been running for a short settle time
 * when it has none (long enough to catch a gateway that dies on start). Bounded, and aborted with the run.
 * A gateway that does not get there is `GatewayNotReady` (retried).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type Docker from 'dockerode';
import { RetryableError } from '../core/contract.js';
import { inspectContainer } from '../host/index.js';
import type { VpnSidecarRetryReason } from './reasons.js';
import { startedAtMs } from './timestamps.js';

export const GATEWAY_SETTLE_MS = 500;
export const GATEWAY_HEALTH_TIMEOUT_MS = 120_000;
const POLL_MS = 50;

export async function waitGatewayReady(
  docker: Docker,
  id: string,
  name: string,
  signal: AbortSignal,
  opts: { settleMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const settleMs = opts.settleMs ?? GATEWAY_SETTLE_MS;
  const timeoutMs = opts.timeoutMs ?? GATEWAY_HEALTH_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let seenRunningAt: number | null = null;
  let last = 'not running';
  for (;;) {
    signal.throwIfAborted();
    const info = await inspectContainer(docker, id, signal);
    if (!info) throw notReady(`the gateway ${name} disappeared while homeostat waited for it; its dependents were not started`);
    const state = info.State;
    if (state.Status === 'running') {
      seenRunningAt ??= Date.now();
      if (state.Health?.Status) {
        if (state.Health.Status === 'healthy') return;
        if (state.Health.Status === 'unhealthy') {
          throw notReady(`the gateway ${name} is unhealthy (its healthcheck fails); its dependents were not started`);
        }
        last = `health ${state.Health.Status}`;
      } else {
        const now = Date.now();
        if (now - startedAtMs(state.StartedAt) >= settleMs || now - seenRunningAt >= settleMs) return;
        last = 'running, settling';
      }
    } else if (state.Status === 'restarting' || state.Status === 'created') {
      seenRunningAt = null;
      last = state.Status;
    } else {
      const why = state.Error ? `: ${state.Error}` : '';
      throw notReady(`the gateway ${name} is ${state.Status} (exit code ${state.ExitCode}${why}); its dependents were not started`);
    }
    if (Date.now() > deadline) {
      throw notReady(`the gateway ${name} was not ready within ${Math.round(timeoutMs / 1000)} s (${last}); its dependents were not started`);
    }
    await delay(POLL_MS, undefined, { signal });
  }
}

function notReady(message: string): RetryableError<VpnSidecarRetryReason> {
  return new RetryableError('GatewayNotReady', message);
}
