/**
 * The kill-switch check after a converged run, pure parts: what it finds wrong, that a failure is retried with the
 * reason `KillSwitchNotVerified`, and that it plans nothing (Degraded is the plan's it is handed).
 */
import { describe, expect, it } from 'vitest';
import type { ReconcileContext } from '../core/contract.js';
import { failureReason, isStalledError } from '../core/errors.js';
import type { ObservedContainer, VpnObserved } from './model.js';
import type { VpnSidecarSpec } from './spec.js';
import { killSwitchProblems, verifyVpn } from './verify.js';

const GW = 'g'.repeat(64);
const spec: VpnSidecarSpec = {
  host: 'local',
  adopt: false,
  gateway: { name: 'gw', image: 'gw:1', env: {}, secretEnv: {}, controlServer: { port: 8000 } },
  dependents: [{ name: 'app', image: 'app:1', env: {}, secretEnv: {}, volumes: [], ports: [] }],
};
const container = (over: Partial<ObservedContainer>): ObservedContainer => ({
  id: GW, name: 'gw', image: 'gw:1', owner: 'VpnSidecar/vpn', role: 'gateway', specHash: null, fields: {}, envHashes: {}, status: 'running',
  startedAt: '2026-01-01T00:00:00Z', health: 'healthy', networkMode: 'bridge', peer: null, networks: ['bridge'], volumes: [], pid: 1, netns: 7, ...over,
});
const observed = (app: Partial<ObservedContainer> = {}): VpnObserved => ({
  gateway: container({}),
  dependents: { app: container({ id: 'a'.repeat(64), name: 'app', role: 'dependent', networkMode: `container:${GW}`, networks: [], peer: { id: GW, running: true }, ...app }) },
  strays: [],
  secrets: {},
  images: {},
  portForwarding: null,
  tunnel: null,
});
function context(status: Record<string, unknown>): ReconcileContext<VpnSidecarSpec> {
  return { resource: { spec }, setStatus: (fields: Record<string, unknown>) => Object.assign(status, fields) } as unknown as ReconcileContext<VpnSidecarSpec>;
}
const degradedPlan = { changes: [], degraded: { type: 'Degraded' as const, reason: 'GatewayUnhealthy', message: 'x' } };

describe('verifyVpn', () => {
  it('records the kill switch in status and plans nothing (the machine reports the plan\'s Degraded)', async () => {
    const status: Record<string, unknown> = {};
    expect(await verifyVpn(observed(), degradedPlan, context(status))).toEqual({});
    expect(status).toMatchObject({ gatewayId: GW.slice(0, 12), gatewayHealth: 'healthy', killSwitch: "1 dependent(s) share the gateway's network stack (network namespace 7)" });
  });

  it('a dependent outside the gateway\'s network stack fails the run with KillSwitchNotVerified (retried, not stalled)', async () => {
    const error = await verifyVpn(observed({ netns: 8, networks: ['bridge'] }), { changes: [] }, context({})).catch((err: unknown) => err);
    expect(failureReason(error)).toBe('KillSwitchNotVerified');
    expect(isStalledError(error)).toBe(false);
    expect((error as Error).message).toBe(
      'kill-switch check failed: app is attached to networks of its own: bridge; app is in network namespace 8, the gateway in 7',
    );
  });

  it('names every problem: no gateway, a missing dependent, another network mode', () => {
    expect(killSwitchProblems(spec, { ...observed(), gateway: null })).toEqual(['the gateway gw is not running', 'app has network mode container:' + GW + ', not container:?']);
    expect(killSwitchProblems(spec, { ...observed(), dependents: { app: null } })).toEqual(['app does not exist']);
    expect(killSwitchProblems(spec, observed({ networkMode: 'bridge' }))).toEqual(['app has network mode bridge, not container:gggggggggggg']);
    expect(killSwitchProblems(spec, observed())).toEqual([]);
  });
});
