/**
 * Drift no Docker event tells: gluetun's control server read every `controlServer.pollInterval` (15 s when omitted)
 * — the tunnel's state, and the forwarded port when a dependent uses port forwarding. Only a change (or a recovery
 * after an error) queues a reconcile, which reads everything again and says what it means: the poll itself writes
 * nothing, so a tunnel that stays down costs one or two small requests per interval and no event. One poll at a
 * time; each request has its deadline and a bounded answer (control-server.ts); closing aborts the one in flight.
 */
import type { DriftWatch } from '../core/contract.js';
import type { Disposable } from '../host/index.js';
import { controlServerFetch, readForwardedPort, readTunnelStatus } from './control-server.js';
import { controlServerUrl, pollIntervalMs, usesPortForwarding } from './desired.js';
import { apiKeyRef, readSecret } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';

export function pollControlServer(spec: VpnSidecarSpec, drift: DriftWatch): Disposable {
  let last: string | undefined;
  let busy = false;
  const controller = new AbortController();
  const fetch = controlServerFetch(drift.host);
  const base = controlServerUrl(spec);
  const forwarding = usesPortForwarding(spec);
  const read = async (what: () => Promise<unknown>) => {
    try {
      return String(await what());
    } catch {
      return 'error'; // the run reports why; a later success counts as a change
    }
  };
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const apiKeyFile = apiKeyRef(spec);
      const apiKey = apiKeyFile ? await readSecret(apiKeyFile).catch(() => undefined) : undefined;
      const [tunnel, port] = await Promise.all([
        read(() => readTunnelStatus(fetch, base, apiKey, controller.signal)),
        forwarding ? read(() => readForwardedPort(fetch, base, apiKey, controller.signal)) : '',
      ]);
      const now = `${tunnel} ${port}`;
      if (last !== undefined && now !== last && !controller.signal.aborted) {
        drift.log.debug({ from: last, to: now }, 'tunnel state or forwarded port changed');
        drift.trigger();
      }
      last = now;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), pollIntervalMs(spec));
  void poll();
  return {
    close() {
      clearInterval(timer);
      controller.abort();
    },
  };
}
