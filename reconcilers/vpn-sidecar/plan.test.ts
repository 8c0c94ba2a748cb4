import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStalledError, type PlanInput } from '../core/contract.js';
import { desiredDependent, desiredGateway, type DesiredContainer } from './desired.js';
import { ownerOf } from './labels.js';
import type { ObservedContainer, VpnChange, VpnObserved } from './model.js';
import { planVpn } from './plan.js';
import { sha256 } from './secrets.js';
import type { VpnDependent, VpnSidecarSpec } from './spec.js';

const OWNER = ownerOf('media-vpn');
const WG_KEY = sha256('wg-private-key');
const input: PlanInput = { name: 'media-vpn', now: 0, inventory: [], memo: {} };

const qbt = (over: Partial<VpnDependent> = {}): VpnDependent => ({
  name: 'qbittorrent',
  image: 'lscr.io/linuxserver/qbittorrent:latest',
  env: { PUID: '1000' },
  secretEnv: {},
  volumes: ['/data:/data'],
  ports: ['127.0.0.1:8080:8080'],
  ...over,
});
const spec = (over: Partial<VpnSidecarSpec> = {}, dependents: VpnDependent[] = [qbt()]): VpnSidecarSpec => ({
  host: 'local',
  adopt: false,
  gateway: {
    name: 'gluetun',
    image: 'qmcgaw/gluetun:v3.40.0',
    env: { VPN_TYPE: 'wireguard' },
    secretEnv: { WIREGUARD_PRIVATE_KEY: { file: '/secrets/wg.key' } },
    controlServer: { port: 8000 },
  },
  dependents,
  ...over,
});
const secrets = { '/secrets/wg.key': WG_KEY, '/secrets/qbt': sha256('adminadmin') };

/** A container exactly as apply would have created it from `desired`. */
function created(desired: DesiredContainer, over: Partial<ObservedContainer> = {}): ObservedContainer {
  const envHashes: Record<string, string> = {};
  for (const [k, v] of Object.entries(desired.env)) envHashes[k] = sha256(v);
  for (const [k, s] of Object.entries(desired.secretEnv)) envHashes[k] = s.hash;
  return {
    id: `${desired.name}-id`.padEnd(64, '0'),
    name: desired.name,
    image: desired.image,
    owner: OWNER,
    role: desired.role,
    specHash: desired.specHash,
    fields: { ...desired.fields },
    envHashes,
    status: 'running',
    startedAt: desired.role === 'gateway' ? '2026-01-01T00:00:00.1Z' : '2026-01-01T00:00:01.2Z',
    health: 'none',
    networkMode: desired.role === 'gateway' ? 'bridge' : `container:${'gluetun-id'.padEnd(64, '0')}`,
    networks: desired.role === 'gateway' ? ['bridge'] : [],
    volumes: [],
    pid: 100,
    netns: 4026532184,
    peer: null,
    ...over,
  };
}

function converged(s: VpnSidecarSpec, over: Partial<VpnObserved> = {}): VpnObserved {
  const gateway = created(desiredGateway(s, secrets));
  const dependents: VpnObserved['dependents'] = {};
  for (const d of s.dependents) dependents[d.name] = { ...created(desiredDependent(d, secrets)), peer: { id: gateway.id, running: true } };
  const images = Object.fromEntries([s.gateway.image, ...s.dependents.map((d) => d.image)].map((i) => [i, true]));
  return { gateway, dependents, strays: [], secrets, images, portForwarding: null, tunnel: null, ...over };
}

const actions = (changes: VpnChange[]) => changes.map((c) => `${c.action} ${c.target}`);

describe('planVpn', () => {
  it('creates the gateway, then the dependents behind it (pulling missing images first)', () => {
    const s = spec();
    const plan = planVpn(s, { gateway: null, dependents: { qbittorrent: null }, strays: [], secrets, images: { 'qmcgaw/gluetun:v3.40.0': false }, portForwarding: null, tunnel: null }, input);
    expect(actions(plan.changes)).toEqual([
      'pull image/qmcgaw/gluetun:v3.40.0',
      'pull image/lscr.io/linuxserver/qbittorrent:latest',
      'create container/gluetun',
      'create container/qbittorrent',
    ]);
    const gateway = plan.changes[2]!;
    expect(gateway.details).toEqual([
      '+ image qmcgaw/gluetun:v3.40.0',
      '+ env VPN_TYPE=wireguard',
      `+ env WIREGUARD_PRIVATE_KEY=<secret sha256:${WG_KEY.slice(0, 4)}…> (from /secrets/wg.key)`,
      '+ cap NET_ADMIN',
      '+ device /dev/net/tun',
      '+ publish 127.0.0.1:8080:8080/tcp',
    ]);
  });

  it('does nothing when everything runs as declared', () => {
    expect(planVpn(spec(), converged(spec()), input)).toEqual({ changes: [] });
  });

  it('recreates the gateway when a field changes, saying which, secrets by hash only; dependents follow it', () => {
    const before = converged(spec());
    const s = spec();
    s.gateway.env = { VPN_TYPE: 'openvpn' };
    const rotated = { ...secrets, '/secrets/wg.key': sha256('a new key') };
    const plan = planVpn(s, { ...before, secrets: rotated }, input);
    expect(actions(plan.changes)).toEqual(['recreate container/gluetun', 'recreate container/qbittorrent']);
    const summary = plan.changes[0]!.summary;
    expect(summary).toContain('env VPN_TYPE=openvpn');
    expect(summary).toContain(`secretEnv WIREGUARD_PRIVATE_KEY <secret sha256:${WG_KEY.slice(0, 4)}…> → <secret sha256:${sha256('a new key').slice(0, 4)}…>`);
    expect(JSON.stringify(plan)).not.toContain('a new key');
    expect(plan.changes[1]!.summary).toContain('the gateway gluetun is recreated');
  });

  it('a changed published port recreates only the gateway (ports live there), and the dependents with it', () => {
    const s = spec({}, [qbt({ ports: ['127.0.0.1:9090:8080'] })]);
    const plan = planVpn(s, converged(spec()), input);
    expect(plan.changes[0]!.summary).toContain('published ports → 127.0.0.1:9090:8080/tcp');
    expect(plan.changes[1]!.summary).toContain('the gateway gluetun is recreated');
  });

  it('restarts dependents that started before the gateway (it restarted: they sit in its old namespace)', () => {
    const observed = converged(spec());
    observed.gateway = { ...observed.gateway!, startedAt: '2026-01-01T00:00:05.000000001Z', netns: null };
    observed.dependents.qbittorrent = { ...observed.dependents.qbittorrent!, netns: null };
    const plan = planVpn(spec(), observed, input);
    expect(actions(plan.changes)).toEqual(['restart container/qbittorrent']);
    expect(plan.changes[0]!.summary).toContain("sits in the gateway's old network namespace");
  });

  it('restarts a dependent whose network namespace is not the gateway\'s', () => {
    const observed = converged(spec());
    observed.dependents.qbittorrent = { ...observed.dependents.qbittorrent!, netns: 4026532999 };
    expect(planVpn(spec(), observed, input).changes[0]!.summary).toContain('network namespace 4026532999, the gateway gluetun in 4026532184');
  });

  it('starts a stopped gateway and restarts its dependents after it', () => {
    const observed = converged(spec());
    observed.gateway = { ...observed.gateway!, status: 'exited' };
    expect(actions(planVpn(spec(), observed, input).changes)).toEqual(['start container/gluetun', 'restart container/qbittorrent']);
  });

  it('recreates a dependent stuck on a gateway that is gone, keeping its anonymous volumes', () => {
    const observed = converged(spec());
    observed.dependents.qbittorrent = {
      ...observed.dependents.qbittorrent!,
      status: 'created',
      networkMode: `container:${'old'.padEnd(64, '0')}`,
      peer: { id: 'old'.padEnd(64, '0'), running: false },
      volumes: [
        { name: 'anon123', destination: '/config', readOnly: false },
        { name: 'data', destination: '/data', readOnly: false },
      ],
    };
    const plan = planVpn(spec(), observed, input);
    expect(actions(plan.changes)).toEqual(['recreate container/qbittorrent']);
    expect(plan.changes[0]).toMatchObject({ carry: [{ name: 'anon123', destination: '/config', readOnly: false }] });
    expect(plan.changes[0]!.summary).toContain("network mode is container:old000000000, not the gateway's");
  });

  it('stops a leak first, then recreates it behind the gateway when homeostat owns it', () => {
    const observed = converged(spec());
    observed.dependents.qbittorrent = { ...observed.dependents.qbittorrent!, networkMode: 'bridge', networks: ['bridge'], peer: null };
    expect(actions(planVpn(spec(), observed, input).changes)).toEqual(['stop container/qbittorrent', 'recreate container/qbittorrent']);
  });

  it('a dependent sharing another running container is a leak too', () => {
    const observed = converged(spec());
    observed.dependents.qbittorrent = { ...observed.dependents.qbittorrent!, networkMode: 'container:other', peer: { id: 'other', running: true } };
    expect(planVpn(spec(), observed, input).changes[0]!.action).toBe('stop');
  });

  it('stops a foreign leak, then stalls; a foreign container that is not running stalls at once', () => {
    const observed = converged(spec());
    observed.dependents.qbittorrent = { ...observed.dependents.qbittorrent!, owner: null, networkMode: 'bridge', peer: null };
    const plan = planVpn(spec(), observed, input);
    expect(plan.changes.map((c) => c.action)).toEqual(['stop', 'stall']);
    expect(plan.changes[1]).toMatchObject({ reason: 'ContainerNotOwned', message: expect.stringContaining('set spec.adopt: true') });

    observed.dependents.qbittorrent = { ...observed.dependents.qbittorrent!, status: 'exited' };
    let error: unknown;
    try {
      planVpn(spec(), observed, input);
    } catch (err) {
      error = err;
    }
    expect(isStalledError(error) && error.reason).toBe('ContainerNotOwned');
    expect((error as Error).message).toMatch(/^container qbittorrent \(qbittorrent-\) exists but was not created by homeostat for VpnSidecar\/media-vpn; it is left as it is/);
  });

  it('with adopt: true, recreates a foreign container', () => {
    const observed = converged(spec());
    observed.gateway = { ...observed.gateway!, owner: null };
    const plan = planVpn(spec({ adopt: true }), observed, input);
    expect(actions(plan.changes)).toEqual(['recreate container/gluetun', 'recreate container/qbittorrent']);
    expect(plan.changes[0]!.summary).toContain('adopted');
  });

  it('removes a container it owns that the spec no longer declares', () => {
    const observed = converged(spec());
    const old = { ...observed.dependents.qbittorrent!, name: 'sonarr', id: 'sonarr-id' };
    const plan = planVpn(spec(), { ...observed, strays: [old] }, input);
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'remove', summary: expect.stringContaining('its volumes and data stay') })]);
  });

  describe('the leak probe', () => {
    const probe = { address: '1.1.1.1', port: 443, timeout: '3s', interval: '30s' };
    const down = (result: 'connected' | 'failed'): VpnObserved['tunnel'] => ({
      status: 'stopped',
      publicIp: null,
      probe: result === 'connected' ? { result, from: "qbittorrent's network namespace" } : { result, from: 'x', error: 'ETIMEDOUT' },
    });

    it('traffic getting out with the tunnel down stops every running dependent at once, and probes again at the interval', () => {
      const s = spec({ leakProbe: probe }, [qbt(), qbt({ name: 'sonarr', ports: [] })]);
      const observed = converged(s, { tunnel: down('connected') });
      observed.dependents.sonarr = { ...observed.dependents.sonarr!, status: 'exited' };
      const plan = planVpn(s, observed, input);
      expect(actions(plan.changes)).toEqual(['stop container/qbittorrent']); // sonarr is down already, and is not started
      expect(plan.changes[0]).toMatchObject({
        leakProbe: true,
        summary: "stop qbittorrent at once: with the tunnel down (gluetun: stopped), a TCP connection to 1.1.1.1:443 from qbittorrent's network namespace got out: traffic leaves around the tunnel (leak probe)",
      });
      expect(plan.requeueAfterMs).toBe(30_000);
    });

    it('they stay stopped while the leak stands, even when the spec changes; they start again once the tunnel is up', () => {
      const s = spec({ leakProbe: probe });
      const stopped = converged(s, { tunnel: down('connected') });
      stopped.dependents.qbittorrent = { ...stopped.dependents.qbittorrent!, status: 'exited' };
      expect(planVpn(s, stopped, input).changes).toEqual([]);
      const edited = spec({ leakProbe: probe }, [qbt({ env: { PUID: '1001' } })]);
      expect(planVpn(edited, stopped, input).changes).toEqual([]);
      const up = { ...stopped, tunnel: { status: 'running', publicIp: null, probe: null } };
      expect(actions(planVpn(s, up, input).changes)).toEqual(['start container/qbittorrent']);
      expect(planVpn(s, up, input).requeueAfterMs).toBeUndefined();
    });

    it('a probe that fails with the tunnel down changes nothing but is run again at the interval', () => {
      const s = spec({ leakProbe: probe });
      const plan = planVpn(s, converged(s, { tunnel: down('failed') }), input);
      expect(plan.changes).toEqual([]);
      expect(plan.requeueAfterMs).toBe(30_000);
    });
  });

  it('waits while Docker restarts the gateway', () => {
    const observed = converged(spec());
    observed.gateway = { ...observed.gateway!, status: 'restarting' };
    const plan = planVpn(spec(), observed, input);
    expect(plan.changes).toEqual([]);
    expect(plan.degraded?.reason).toBe('GatewayRestarting');
    expect(plan.requeueAfterMs).toBe(1000);
  });

  describe('port forwarding', () => {
    const pf = { qbittorrent: { url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '/secrets/qbt' } } };
    const s = spec({}, [qbt({ portForwarding: pf })]);

    it('sets the app\'s listening port when it differs from the forwarded one', () => {
      const plan = planVpn(s, converged(s, { portForwarding: { forwardedPort: 45678, apps: { qbittorrent: { listenPort: 6881 } } } }), input);
      expect(plan.changes).toEqual([expect.objectContaining({ action: 'set-listen-port', from: 6881, to: 45678, dependent: 'qbittorrent' })]);
    });

    it('nothing when they agree; Degraded (and a recheck) when either side cannot be read', () => {
      expect(planVpn(s, converged(s, { portForwarding: { forwardedPort: 45678, apps: { qbittorrent: { listenPort: 45678 } } } }), input)).toEqual({ changes: [] });
      const down = planVpn(s, converged(s, { portForwarding: { forwardedPort: null, error: 'GET x: fetch failed', apps: {} } }), input);
      expect(down).toMatchObject({ changes: [], degraded: { reason: 'PortForwardingUnavailable' }, requeueAfterMs: 5000 });
      const none = planVpn(s, converged(s, { portForwarding: { forwardedPort: 0, apps: { qbittorrent: { listenPort: 1 } } } }), input);
      expect(none.degraded?.reason).toBe('NoForwardedPort');
      const app = planVpn(s, converged(s, { portForwarding: { forwardedPort: 5, apps: { qbittorrent: { listenPort: null, error: 'refused' } } } }), input);
      expect(app.degraded?.message).toBe('cannot deliver the forwarded port 5: qbittorrent: refused');
    });

    it('publishes the control server on loopback with the dependents\' ports', () => {
      expect(desiredGateway(s, secrets).ports.map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}`)).toEqual(['127.0.0.1:8000:8000', '127.0.0.1:8080:8080']);
    });
  });
});

// ---- idempotence: plan, apply to a model of Docker, plan again: nothing left to do ----

function applyToModel(s: VpnSidecarSpec, observed: VpnObserved, changes: VpnChange[], clock: { t: number }): VpnObserved {
  const next: VpnObserved = structuredClone(observed);
  const tick = () => `2026-01-01T00:01:${String(clock.t++).padStart(2, '0')}.5Z`;
  let netns = next.gateway?.netns ?? 1;
  const byName = (name: string) => (name === s.gateway.name ? next.gateway : next.dependents[name]) ?? null;
  const put = (c: ObservedContainer) => {
    if (c.role === 'gateway') next.gateway = c;
    else next.dependents[c.name] = c;
  };
  for (const change of changes) {
    switch (change.action) {
      case 'stop': {
        const c = byName(change.ref.name)!;
        put({ ...c, status: 'exited', netns: null, pid: 0 });
        break;
      }
      case 'stall':
        throw new Error('stall');
      case 'pull':
        next.images[change.image] = true;
        break;
      case 'remove':
        next.strays = next.strays.filter((c) => c.id !== change.ref.id);
        break;
      case 'create':
      case 'recreate': {
        const gw = next.gateway;
        if (change.desired.role === 'gateway') netns = clock.t + 1000;
        const c = created(change.desired, {
          id: `${change.desired.name}-${clock.t}`,
          startedAt: tick(),
          netns,
          networkMode: change.desired.role === 'gateway' ? 'bridge' : `container:${gw!.id}`,
          peer: change.desired.role === 'gateway' ? null : { id: gw!.id, running: true },
        });
        put(c);
        break;
      }
      case 'start':
      case 'restart': {
        const c = byName(change.ref.name)!;
        if (c.role === 'gateway') netns = clock.t + 1000;
        put({ ...c, status: 'running', startedAt: tick(), netns });
        if (c.role === 'gateway') {
          for (const d of Object.values(next.dependents)) if (d?.peer) d.peer.running = true;
        }
        break;
      }
      case 'set-listen-port':
        next.portForwarding!.apps[change.dependent] = { listenPort: change.to };
        break;
    }
  }
  return next;
}

describe('idempotence', () => {
  const statuses = fc.constantFrom('running', 'exited', 'created', 'dead') as fc.Arbitrary<ObservedContainer['status']>;
  const arbContainer = (desired: DesiredContainer, gatewayId: string) =>
    fc.record({
      present: fc.boolean(),
      owned: fc.boolean(),
      stale: fc.boolean(),
      status: statuses,
      mode: fc.constantFrom(`container:${gatewayId}`, 'container:gone', 'bridge'),
      second: fc.integer({ min: 0, max: 9 }),
    }).map((a) =>
      a.present
        ? created(desired, {
            owner: a.owned ? OWNER : null,
            specHash: a.stale ? 'stale' : desired.specHash,
            status: a.status,
            startedAt: `2026-01-01T00:00:0${a.second}Z`,
            networkMode: desired.role === 'gateway' ? 'bridge' : a.mode,
            peer: desired.role === 'gateway' || !a.mode.startsWith('container:') ? null : { id: a.mode.slice(10), running: false },
            netns: null,
          })
        : null,
    );

  it('after apply, the plan is empty (or the resource stalls on a container it does not own)', () => {
    const s = spec({}, [qbt(), qbt({ name: 'sonarr', image: 'lscr.io/linuxserver/sonarr:latest', ports: [] })]);
    const gwDesired = desiredGateway(s, secrets);
    const gatewayId = created(gwDesired).id;
    let applied = 0;
    fc.assert(
      fc.property(
        arbContainer(gwDesired, gatewayId),
        arbContainer(desiredDependent(s.dependents[0]!, secrets), gatewayId),
        arbContainer(desiredDependent(s.dependents[1]!, secrets), gatewayId),
        fc.boolean(),
        fc.boolean(),
        (gateway, a, b, adopt, imagesPresent) => {
          const sp = { ...s, adopt };
          const observed: VpnObserved = {
            gateway,
            dependents: { qbittorrent: a, sonarr: b },
            strays: [],
            secrets,
            images: imagesPresent ? { [s.gateway.image]: true } : {},
            portForwarding: null,
            tunnel: null,
          };
          let plan;
          try {
            plan = planVpn(sp, observed, input);
          } catch (err) {
            expect(isStalledError(err) && !adopt).toBe(true);
            return;
          }
          if (plan.changes.some((c) => c.action === 'stall')) {
            expect(adopt).toBe(false);
            return;
          }
          if (plan.changes.length > 0) applied++;
          const after = applyToModel(sp, observed, plan.changes, { t: 10 });
          expect(planVpn(sp, after, input).changes).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
    expect(applied).toBeGreaterThan(100);
  });
});
