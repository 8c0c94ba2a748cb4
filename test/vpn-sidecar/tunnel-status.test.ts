/**
 * What the VPN is doing, against the gluetun stand-in (its real control-server routes behind the API key homeostat
 * configures): the tunnel's state, public IP and place in status, and the condition TunnelUp, as gluetun reports
 * running → stopped → running — one reconcile at a time through the reconciler, and end to end through the daemon
 * (its poll of the control server notices the change; Ready follows TunnelUp; one TunnelDown and one TunnelUp event,
 * however many polls). Then the leak probe through the daemon, from inside the dependents' real network namespace:
 * with the tunnel down, a probe to a closed port fails (NoLeak True, the app keeps running); pointed at a port that
 * answers in that namespace, it gets out: the app is stopped at once (NoLeak False, KillSwitchViolation, Ready False)
 * and kept stopped while the tunnel is down, and started again when it is up.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, expect } from 'vitest';
import { describeResource, type ResourceView } from '../../controller/status/views.js';
import { vpnSidecarReconciler as reconciler } from '../../reconcilers/vpn-sidecar/index.js';
import type { VpnSidecarSpec } from '../../reconcilers/vpn-sidecar/spec.js';
import { dockerd, freeLoopbackPort } from '../support/docker.js';
import { ensureGluetunStandinImage, GLUETUN_STANDIN_IMAGE, setTunnelStatus } from '../support/gluetun-standin.js';
import { MemoryState, reconcileOnce, resourceOf } from '../storage-keepalive/context.js';
import { startVpnDaemon, timeUntil, vpnManifest, type VpnDaemonLab } from './daemon-lab.js';
import { vpnFixture, WG_KEY_VALUE, type VpnFixture } from './fixture.js';

let fx: VpnFixture | undefined;
let lab: VpnDaemonLab | undefined;

beforeAll(() => {
  if (dockerd.available) ensureGluetunStandinImage();
}, 120_000);
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
  await fx?.cleanup();
  fx = undefined;
});

/** The stand-in as the gateway, its control server on a free port, homeostat holding the API key. */
async function standinSpec(f: VpnFixture, apiKey: string): Promise<VpnSidecarSpec> {
  const controlPort = await freeLoopbackPort();
  const spec = f.spec();
  spec.gateway.image = GLUETUN_STANDIN_IMAGE;
  spec.gateway.env = { HTTP_CONTROL_SERVER_ADDRESS: `:${controlPort}`, STANDIN_HEALTHY_AFTER: '0' };
  spec.gateway.controlServer = { port: controlPort, apiKey: { file: f.secret('api.key', apiKey) }, pollInterval: '200ms' };
  return spec;
}

const condition = (v: ResourceView, type: string) => v.conditions.find((c) => c.type === type);
const is = (v: ResourceView, type: string, status: string, reason?: string) =>
  condition(v, type)?.status === status && (reason === undefined || condition(v, type)?.reason === reason);

dockerd.describe('the tunnel\'s state from gluetun\'s control server', () => {
  dockerd.it('through the reconciler: status fields and TunnelUp follow running → stopped → running', async () => {
    fx = vpnFixture();
    const spec = await standinSpec(fx, randomBytes(12).toString('hex'));
    const state = new MemoryState();
    const resource = resourceOf('VpnSidecar', fx.resource, spec);
    const verifyNow = async () => {
      const run = await reconcileOnce(reconciler, state, resource, fx!.host, Date.now());
      expect(run.after.changes).toEqual([]);
      const ctx = state.context(resource, fx!.host, Date.now());
      const observed = await reconciler.observe(ctx);
      return reconciler.verify!(observed, reconciler.plan(spec, observed, { name: fx!.resource, now: ctx.now, inventory: ctx.inventory, memo: ctx.memo }), ctx);
    };

    expect((await verifyNow()).conditions).toEqual([
      { type: 'TunnelUp', status: 'True', reason: 'TunnelUp', message: 'gluetun reports the VPN running, exiting at 198.51.100.7 (Amsterdam, North Holland, Netherlands)' },
    ]);
    expect(state.status).toMatchObject({ tunnel: 'running', publicIp: '198.51.100.7', country: 'Netherlands', region: 'North Holland', city: 'Amsterdam' });
    const gw = await fx.docker.getContainer(fx.gateway).inspect();
    expect(gw.HostConfig.PortBindings).toEqual({ [`${spec.gateway.controlServer.port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(spec.gateway.controlServer.port) }] });

    setTunnelStatus(fx.gateway, 'stopped');
    expect((await verifyNow()).conditions).toEqual([
      { type: 'TunnelUp', status: 'False', reason: 'TunnelDown', message: 'gluetun reports the VPN stopped: the dependents have no way out until it runs again' },
    ]);
    expect(JSON.parse(JSON.stringify(state.status))).toMatchObject({ tunnel: 'stopped' });
    expect(JSON.parse(JSON.stringify(state.status)).publicIp).toBeUndefined(); // gluetun forgot it: so does the status

    setTunnelStatus(fx.gateway, 'running');
    expect((await verifyNow()).conditions?.[0]).toMatchObject({ status: 'True', reason: 'TunnelUp' });
    expect(state.status).toMatchObject({ tunnel: 'running', publicIp: '198.51.100.7' });
  }, 60_000);

  dockerd.it('through the daemon: TunnelUp and Ready follow the tunnel, one event per change, no secret anywhere', async () => {
    fx = vpnFixture();
    const apiKey = randomBytes(12).toString('hex');
    const spec = await standinSpec(fx, apiKey);
    lab = await startVpnDaemon({ 'vpn.yaml': vpnManifest(fx.resource, spec) });

    const up = await lab.waitFor(fx.resource, (v) => v.ready === 'True' && is(v, 'TunnelUp', 'True'), 'Ready with TunnelUp', 20_000);
    expect(up.fields).toMatchObject({ tunnel: 'running', publicIp: '198.51.100.7', country: 'Netherlands', city: 'Amsterdam' });

    setTunnelStatus(fx.gateway, 'stopped');
    const downMs = await timeUntil('TunnelUp False', () => !!lab!.view(fx!.resource) && is(lab!.view(fx!.resource)!, 'TunnelUp', 'False', 'TunnelDown'));
    const down = lab.view(fx.resource)!;
    expect(condition(down, 'Ready')).toMatchObject({ status: 'False', reason: 'TunnelDown', message: expect.stringContaining('gluetun reports the VPN stopped') });
    expect(down.fields.tunnel).toBe('stopped');
    expect(down.fields.publicIp).toBeUndefined();
    // The poll keeps reading the control server (every 200 ms); the state stays, so nothing more is said.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    setTunnelStatus(fx.gateway, 'running');
    const upMs = await timeUntil('Ready again', () => !!lab!.view(fx!.resource) && lab!.view(fx!.resource)!.ready === 'True' && is(lab!.view(fx!.resource)!, 'TunnelUp', 'True'));
    console.log(`VpnSidecar tunnel down seen in ${downMs} ms, up again in ${upMs} ms (pollInterval 200ms)`);
    const back = lab.view(fx.resource)!;
    expect(back.fields).toMatchObject({ tunnel: 'running', publicIp: '198.51.100.7' });
    const reasons = lab.events(fx.resource).map((e) => `${e.type}/${e.reason}`);
    expect(reasons.filter((r) => r === 'Warning/TunnelDown')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'Normal/TunnelUp')).toHaveLength(1);

    const everything = JSON.stringify(describeResource(lab.daemon.store, 'VpnSidecar', fx.resource));
    for (const secret of [apiKey, WG_KEY_VALUE]) expect(everything).not.toContain(secret);
  }, 60_000);

  dockerd.it('through the daemon: the leak probe holds with a closed port, and stops the app while a connection gets out', async () => {
    fx = vpnFixture();
    const spec = await standinSpec(fx, randomBytes(12).toString('hex'));
    const controlPort = spec.gateway.controlServer.port;
    // Port 1 is closed in the gateway's network namespace: with the tunnel down, the connection must fail.
    spec.leakProbe = { address: '127.0.0.1', port: 1, timeout: '1s', interval: '1s' };
    lab = await startVpnDaemon({ 'vpn.yaml': vpnManifest(fx.resource, spec) });
    const ready = await lab.waitFor(fx.resource, (v) => v.ready === 'True' && is(v, 'TunnelUp', 'True'), 'Ready', 20_000);
    expect(condition(ready, 'NoLeak')).toMatchObject({ status: 'Unknown', reason: 'NotProbed' });

    setTunnelStatus(fx.gateway, 'stopped');
    const held = await lab.waitFor(fx.resource, (v) => is(v, 'NoLeak', 'True', 'KillSwitchHeld'), 'NoLeak True', 10_000);
    expect(condition(held, 'NoLeak')!.message).toBe(
      `with the tunnel down (gluetun: stopped), a TCP connection to 127.0.0.1:1 from ${fx.app}'s network namespace failed (ECONNREFUSED), as it must`,
    );
    expect(condition(held, 'Ready')).toMatchObject({ status: 'False', reason: 'TunnelDown' });
    expect((await fx.docker.getContainer(fx.app).inspect()).State.Running).toBe(true);

    // The probe now aims at the control server, which answers inside that namespace: the connection gets out.
    spec.leakProbe = { ...spec.leakProbe, port: controlPort };
    lab.lab.writeManifest('vpn.yaml', vpnManifest(fx.resource, spec));
    const leaking = await lab.waitFor(fx.resource, (v) => is(v, 'NoLeak', 'False', 'KillSwitchViolation'), 'NoLeak False', 10_000);
    expect(condition(leaking, 'Ready')).toMatchObject({ status: 'False', reason: 'KillSwitchViolation' });
    // Found from the app's namespace; confirmed, once the app is stopped, from the gateway's (the one it joins).
    expect(condition(leaking, 'NoLeak')!.message).toContain(`a TCP connection to 127.0.0.1:${controlPort} from the gateway ${fx.gateway}'s network namespace`);
    expect((await fx.docker.getContainer(fx.app).inspect()).State.Running).toBe(false);
    // Kept stopped while the tunnel is down, though the probe runs again every second.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await fx.docker.getContainer(fx.app).inspect()).State.Running).toBe(false);
    const events = lab.events(fx.resource);
    expect(events.filter((e) => e.reason === 'KillSwitchViolation')).toEqual([
      expect.objectContaining({ type: 'Warning', message: expect.stringContaining('got out: traffic leaves around the tunnel') }),
    ]);
    expect(events.find((e) => e.reason === 'Applied' && e.message.includes('(leak probe)'))?.message).toContain(
      `stop ${fx.app} at once: with the tunnel down (gluetun: stopped), a TCP connection to 127.0.0.1:${controlPort} from ${fx.app}'s network namespace got out`,
    );

    setTunnelStatus(fx.gateway, 'running');
    const back = await lab.waitFor(fx.resource, (v) => v.ready === 'True' && is(v, 'NoLeak', 'Unknown', 'NotProbed'), 'Ready again', 15_000);
    expect(back.fields.tunnel).toBe('running');
    expect((await fx.docker.getContainer(fx.app).inspect()).State.Running).toBe(true);
  }, 90_000);
});
