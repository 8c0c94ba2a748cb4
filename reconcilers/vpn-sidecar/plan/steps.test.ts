/**
 * Each VpnSidecar sub-planner on its own (planVpn, their composition, is tested in ../plan.test.ts): what it
 * adds to the plan so far, and how `extend` merges (changes appended, first Degraded wins, soonest recheck wins).
 */
import { describe, expect, it } from 'vitest';
import { isStalledError } from '../../core/contract.js';
import { desiredDependent, desiredGateway, type DesiredContainer } from '../desired.js';
import { ownerOf } from '../labels.js';
import type { ObservedContainer, VpnChange, VpnObserved } from '../model.js';
import type { VpnDependent, VpnSidecarSpec } from '../spec.js';
import {
  gatewayRenewal,
  planDependents,
  planForeign,
  planGateway,
  planLeaks,
  planPortForwarding,
  planPulls,
  planRemovals,
  type VpnPlanDraft,
  type VpnPlanInput,
} from './index.js';
import { extend } from './step.js';

const OWNER = ownerOf('vpn');
const GW_ID = 'g'.repeat(64);
const APP_ID = 'a'.repeat(64);

const app = (over: Partial<VpnDependent> = {}): VpnDependent => ({ name: 'app', image: 'app:1', env: {}, secretEnv: {}, volumes: [], ports: [], ...over });
const spec = (over: Partial<VpnSidecarSpec> = {}, dependents = [app()]): VpnSidecarSpec => ({
  host: 'local',
  adopt: false,
  gateway: { name: 'gw', image: 'gw:1', env: {}, secretEnv: {}, controlServer: { port: 8000 } },
  dependents,
  ...over,
});

/** A running container exactly as declared. */
function running(desired: DesiredContainer, over: Partial<ObservedContainer> = {}): ObservedContainer {
  const gateway = desired.role === 'gateway';
  return {
    id: gateway ? GW_ID : APP_ID,
    name: desired.name,
    image: desired.image,
    owner: OWNER,
    role: desired.role,
    specHash: desired.specHash,
    fields: { ...desired.fields },
    envHashes: {},
    status: 'running',
    startedAt: gateway ? '2026-01-01T00:00:00Z' : '2026-01-01T00:00:01Z',
    health: 'none',
    networkMode: gateway ? 'bridge' : `container:${GW_ID}`,
    networks: gateway ? ['bridge'] : [],
    volumes: [],
    pid: 1,
    netns: 7,
    peer: gateway ? null : { id: GW_ID, running: true },
    ...over,
  };
}

function input(s = spec(), over: { gateway?: Partial<ObservedContainer> | null; app?: Partial<ObservedContainer> | null } & Omit<Partial<VpnObserved>, 'gateway'> = {}): VpnPlanInput {
  const { gateway, app: dep, ...rest } = over;
  const observed: VpnObserved = {
    gateway: gateway === null ? null : running(desiredGateway(s, {}), gateway),
    dependents: Object.fromEntries(s.dependents.map((d) => [d.name, dep === null ? null : running(desiredDependent(d, {}), dep)])),
    strays: [],
    secrets: {},
    images: { 'gw:1': true, 'app:1': true },
    portForwarding: null,
    tunnel: null,
    ...rest,
  };
  return { spec: s, observed, owner: OWNER };
}

const EMPTY: VpnPlanDraft = { changes: [] };
const actions = (plan: VpnPlanDraft) => plan.changes.map((c) => `${c.action} ${c.target}`);
const stop: VpnChange = { action: 'stop', target: 'container/app', summary: 'stop', ref: { id: APP_ID, name: 'app', role: 'dependent' }, networkMode: 'bridge' };

describe('extend', () => {
  it('appends changes, keeps the first Degraded and the soonest recheck, and stays final once final', () => {
    const a = extend(EMPTY, { changes: [stop], degraded: { type: 'Degraded', reason: 'A', message: 'a' }, requeueAfterMs: 5000 });
    const b = extend(a, { changes: [stop], degraded: { type: 'Degraded', reason: 'B', message: 'b' }, requeueAfterMs: 1000, final: true });
    expect(b).toEqual({ changes: [stop, stop], degraded: { type: 'Degraded', reason: 'A', message: 'a' }, requeueAfterMs: 1000, final: true });
    expect(extend(b, {}).final).toBe(true);
    expect(extend(EMPTY, {})).toStrictEqual({ changes: [] });
  });
});

describe('planLeaks', () => {
  it('stops a dependent on another network, and nothing else', () => {
    expect(actions(planLeaks(input(spec(), { app: { networkMode: 'bridge', peer: null } }), EMPTY))).toEqual(['stop container/app']);
    expect(planLeaks(input(), EMPTY)).toStrictEqual(EMPTY);
    expect(planLeaks(input(spec(), { app: { networkMode: 'bridge', peer: null, status: 'exited' } }), EMPTY).changes).toEqual([]);
  });
});

describe('planForeign', () => {
  it('stalls at once when nothing was planned before, after the leak stops otherwise; adopt lets it through', () => {
    const foreign = input(spec(), { app: { owner: null } });
    let error: unknown;
    try {
      planForeign(foreign, EMPTY);
    } catch (err) {
      error = err;
    }
    expect(isStalledError(error) && error.reason).toBe('ContainerNotOwned');
    const after = planForeign(foreign, { changes: [stop] });
    expect(after).toMatchObject({ changes: [stop, { action: 'stall', reason: 'ContainerNotOwned' }], final: true });
    expect(planForeign(input(spec({ adopt: true }), { app: { owner: null } }), EMPTY)).toBe(EMPTY);
  });
});

describe('planRemovals', () => {
  it('removes strays this resource owns, keeping their volumes', () => {
    const stray = running(desiredDependent(app({ name: 'old' }), {}), { id: 'o'.repeat(64) });
    const plan = planRemovals(input(spec(), { strays: [stray] }), EMPTY);
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'remove', ref: { id: stray.id, name: 'old', role: 'dependent' } })]);
    expect(plan.changes[0]!.summary).toContain('its volumes and data stay');
  });
});

describe('planGateway', () => {
  it('creates, starts, or waits for Docker (final) and reports an unhealthy one', () => {
    expect(actions(planGateway(input(spec(), { gateway: null }), EMPTY))).toEqual(['create container/gw']);
    expect(actions(planGateway(input(spec(), { gateway: { status: 'exited' } }), EMPTY))).toEqual(['start container/gw']);
    expect(planGateway(input(spec(), { gateway: { status: 'restarting' } }), EMPTY)).toMatchObject({
      changes: [],
      degraded: { reason: 'GatewayRestarting' },
      requeueAfterMs: 1000,
      final: true,
    });
    expect(planGateway(input(spec(), { gateway: { health: 'unhealthy' } }), EMPTY)).toMatchObject({ changes: [], degraded: { reason: 'GatewayUnhealthy' } });
    expect(planGateway(input(), EMPTY)).toBe(EMPTY);
  });
});

describe('planDependents', () => {
  it('follows what the plan so far does to the gateway', () => {
    const created = planGateway(input(spec(), { gateway: null }), EMPTY);
    expect(gatewayRenewal(created.changes)).toBe('recreated');
    const recreated = planDependents(input(spec(), { gateway: null }), created);
    expect(recreated.changes[1]).toMatchObject({ action: 'recreate', reasons: ['the gateway gw is created'] });

    const started = planGateway(input(spec(), { gateway: { status: 'exited' } }), EMPTY);
    expect(gatewayRenewal(started.changes)).toBe('started');
    expect(actions(planDependents(input(spec(), { gateway: { status: 'exited' } }), started))).toEqual(['start container/gw', 'restart container/app']);

    expect(gatewayRenewal([])).toBeNull();
    expect(planDependents(input(), EMPTY).changes).toEqual([]);
    expect(actions(planDependents(input(spec(), { app: null }), EMPTY))).toEqual(['create container/app']);
    expect(actions(planDependents(input(spec(), { app: { status: 'exited' } }), EMPTY))).toEqual(['start container/app']);
    expect(planDependents(input(spec(), { app: { netns: 8 } }), EMPTY).changes[0]).toMatchObject({ action: 'restart', reason: expect.stringContaining('network namespace 8') });
  });
});

describe('planPulls', () => {
  it('pulls missing images before the first container change, after leaks and removals', () => {
    const at = input(spec(), { gateway: null, app: null, images: {} });
    const containers = planDependents(at, planGateway(at, { changes: [stop] }));
    expect(actions(planPulls(at, containers))).toEqual(['stop container/app', 'pull image/gw:1', 'pull image/app:1', 'create container/gw', 'create container/app']);
    const present = input(spec(), { gateway: null, app: null });
    const plan = planDependents(present, planGateway(present, EMPTY));
    expect(planPulls(present, plan)).toBe(plan);
  });
});

describe('planPortForwarding', () => {
  const pf = { qbittorrent: { url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '/s' } } };
  const s = spec({}, [app({ portForwarding: pf })]);

  it('waits while containers change (and looks again soon); sets the port once they do not', () => {
    const observed = { portForwarding: { forwardedPort: 5, apps: { app: { listenPort: 6 } } } };
    const restart: VpnChange = { action: 'restart', target: 'container/app', summary: 'restart', ref: { id: APP_ID, name: 'app', role: 'dependent' }, reason: 'x' };
    expect(planPortForwarding(input(s, observed), { changes: [restart] })).toEqual({ changes: [restart], requeueAfterMs: 5000 });
    expect(planPortForwarding(input(s, observed), { changes: [stop] })).toEqual({ changes: [stop] });
    expect(planPortForwarding(input(s, observed), EMPTY).changes).toEqual([expect.objectContaining({ action: 'set-listen-port', from: 6, to: 5 })]);
    expect(planPortForwarding(input(s, { portForwarding: { forwardedPort: 0, apps: {} } }), EMPTY)).toMatchObject({
      degraded: { reason: 'NoForwardedPort' },
      requeueAfterMs: 5000,
    });
    expect(planPortForwarding(input(), EMPTY)).toBe(EMPTY);
  });
});

describe('pull: always', () => {
  const OLD = 'sha256:' + '1'.repeat(64);
  const NEW = 'sha256:' + '2'.repeat(64);
  it('a new image id under the same tag recreates the container (keeping its volumes), pulling first', () => {
    const s = spec({}, [app({ pull: 'always' })]);
    const at = input(s, { app: { imageId: OLD, volumes: [{ name: 'v1', destination: '/config', readOnly: false }] }, imageIds: { 'gw:1': 'x', 'app:1': NEW } });
    const plan = planPulls(at, planDependents(at, EMPTY));
    expect(actions(plan)).toEqual(['pull image/app:1', 'recreate container/app']);
    const recreate = plan.changes[1] as Extract<VpnChange, { action: 'recreate' }>;
    expect(recreate.reasons).toEqual([`image app:1 now is ${'2'.repeat(12)} (it runs ${'1'.repeat(12)}; pull: always)`]);
    expect(recreate.carry).toEqual([{ name: 'v1', destination: '/config', readOnly: false }]);
    expect(plan.changes[0]).toMatchObject({ present: true });
  });

  it('the same id, or pull: missing, changes nothing', () => {
    const same = input(spec({}, [app({ pull: 'always' })]), { app: { imageId: NEW }, imageIds: { 'app:1': NEW } });
    expect(planDependents(same, EMPTY).changes).toEqual([]);
    const missing = input(spec(), { app: { imageId: OLD }, imageIds: { 'app:1': NEW } });
    expect(planDependents(missing, EMPTY).changes).toEqual([]);
  });
});
