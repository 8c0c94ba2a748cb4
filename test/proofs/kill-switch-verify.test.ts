/**
 * Proof that VpnSidecar's kill-switch check (verify) can fail, and that its failure is what a user sees. Docker
 * refuses to attach a running container that shares another's network stack to a network, but accepts it for a
 * stopped one: behind homeostat's back (the daemon stopped), the dependent is stopped and attached to a network
 * of its own. The plan only sees a stopped dependent on the gateway's id and starts it; Docker then reports it
 * running on `container:<gateway>` *and* on that network. Only verify notices: Ready=False, reason
 * KillSwitchNotVerified, naming the network.
 */
import { afterEach, beforeAll, expect } from 'vitest';
import { dockerd, ensureTestImages } from '../support/docker.js';
import { startVpnDaemon, vpnManifest, type VpnDaemonLab } from '../vpn-sidecar/daemon-lab.js';
import { vpnFixture, type VpnFixture } from '../vpn-sidecar/fixture.js';

let fx: VpnFixture | undefined;
let lab: VpnDaemonLab | undefined;
let network: string | undefined;

beforeAll(() => ensureTestImages(), 60_000);
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
  await fx?.cleanup();
  if (fx && network) await fx.docker.getNetwork(network).remove().catch(() => undefined);
  fx = undefined;
  network = undefined;
});

dockerd.describe('the kill-switch check through the daemon', () => {
  dockerd.it('a dependent that lists a network of its own is Ready=False/KillSwitchNotVerified, although the plan is empty', async () => {
    fx = vpnFixture();
    lab = await startVpnDaemon({ 'vpn.yaml': vpnManifest(fx.resource, fx.spec()) });
    const ready = await lab.waitFor(fx.resource, (v) => v.ready === 'True', 'Ready', 30_000);
    expect(ready.fields).toMatchObject({ killSwitch: expect.stringContaining('1 dependent(s)') });

    await lab.pause();
    network = `hs-net-${fx.suffix}`;
    await fx.docker.createNetwork({ Name: network, Labels: { 'dev.homeostat.test': fx.suffix } });
    await fx.docker.getContainer(fx.app).stop({ t: 0 });
    await fx.docker.getNetwork(network).connect({ Container: fx.app });
    await lab.resume();

    const failed = await lab.waitFor(fx.resource, (v) => v.ready === 'False' && v.conditions.some((c) => c.type === 'Ready' && c.reason === 'KillSwitchNotVerified'), 'KillSwitchNotVerified', 30_000);
    const readyCondition = failed.conditions.find((c) => c.type === 'Ready')!;
    expect(readyCondition.message).toContain(`${fx.app} is attached to networks of its own: ${network}`);
    const app = await fx.docker.getContainer(fx.app).inspect();
    const gateway = await fx.docker.getContainer(fx.gateway).inspect();
    expect(app.State.Running).toBe(true);
    expect(app.HostConfig.NetworkMode).toBe(`container:${gateway.Id}`); // what the plan checks is right
    expect(Object.keys(app.NetworkSettings.Networks)).toEqual([network]); // what only verify checks is not
  }, 90_000);
});
