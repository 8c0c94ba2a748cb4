/**
 * The leak probe against a real userspace WireGuard tunnel (Debian's wireguard-go) between two network namespaces
 * the test creates, the "dependent" behind it (test/support/wireguard.ts). Through the tunnel the probe gets out
 * (the listener sees the tunnel's address). Drop the tunnel: the probe's connection fails, and with gluetun saying
 * the tunnel is down that is NoLeak True (KillSwitchHeld). Give the dependent a route around the tunnel: the probe
 * gets out (the listener sees the underlay's address) — NoLeak False (KillSwitchViolation), and the plan treats it
 * as a leak. The same on this machine (nsenter + node) and through an SSH Host (nsenter + perl, over a loopback sshd).
 * And with a kill switch that drops packets (iptables, as gluetun's firewall), the route around it leaks nothing: the
 * probe waits out its deadline.
 */
import { afterEach, expect } from 'vitest';
import { LocalHost, SshHost, type Host } from '../../reconcilers/host/index.js';
import { probeTcpFrom } from '../../reconcilers/vpn-sidecar/leak-probe.js';
import type { ObservedProbe } from '../../reconcilers/vpn-sidecar/model.js';
import type { VpnSidecarSpec } from '../../reconcilers/vpn-sidecar/spec.js';
import { leakFound, tunnelConditions } from '../../reconcilers/vpn-sidecar/tunnel.js';
import { integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';
import { sshdAvailable, sshLoginOf, startSshd, type TestSshd } from '../support/sshd.js';
import { iptablesAvailable, PROBE_ADDRESS, PROBE_PORT, startWireguardLab, WIREGUARD_MISSING, wireguardAvailable, type WireguardLab } from '../support/wireguard.js';

const wireguard = integration('wireguard-go + network namespaces', wireguardAvailable(), WIREGUARD_MISSING);
const withFirewall = integration('wireguard-go + network namespaces + iptables', wireguard.available && iptablesAvailable(), `${WIREGUARD_MISSING}, and iptables`);
const overSsh = integration('wireguard-go + network namespaces + sshd', wireguard.available && sshdAvailable(), `${WIREGUARD_MISSING}, and openssh-server`);

let lab: WireguardLab | undefined;
let host: Host | undefined;
let sshd: TestSshd | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  await sshd?.stop();
  sshd = undefined;
  await lab?.remove();
  lab = undefined;
});

const spec: VpnSidecarSpec = {
  host: 'local',
  adopt: false,
  gateway: { name: 'gluetun', image: 'qmcgaw/gluetun:v3.40.0', env: {}, secretEnv: {}, controlServer: { port: 8000, apiKey: { file: '/k' } } },
  dependents: [],
  leakProbe: { address: PROBE_ADDRESS, port: PROBE_PORT, timeout: '2s', interval: '1m' },
};
const TIMEOUT_MS = 2_000;

/** What homeostat makes of a probe while gluetun says the tunnel is stopped. */
function verdict(probe: ObservedProbe) {
  const observed = { tunnel: { status: 'stopped', publicIp: null, probe } };
  const noLeak = tunnelConditions(spec, observed).find((c) => c.type === 'NoLeak')!;
  return { noLeak: `${noLeak.status}/${noLeak.reason}`, leak: leakFound(observed) };
}

async function probe(h: Host): Promise<ObservedProbe> {
  const outcome = await probeTcpFrom(h, lab!.nearNsPath, { address: PROBE_ADDRESS, port: PROBE_PORT }, TIMEOUT_MS);
  return outcome.result === 'unavailable' ? outcome : { ...outcome, from: 'the dependent\'s namespace' };
}

/** The listener's connections once it has logged `count` (its log line may come after the probe has returned). */
const seen = (count: number) => waitUntil(`${count} connection(s) at the listener`, () => (lab!.connections().length >= count ? lab!.connections() : null));

async function dropTheTunnelThenRouteAround(h: Host): Promise<void> {
  lab = await startWireguardLab();

  // Through the tunnel the connection gets out, and arrives from the tunnel's address.
  expect(await probe(h)).toEqual({ result: 'connected', from: 'the dependent\'s namespace' });
  expect(await seen(1)).toEqual([lab.sources.tunnel]);

  // The tunnel drops: nothing gets out. With gluetun saying "stopped", the kill switch holds.
  lab.dropTunnel();
  const held = await probe(h);
  expect(held).toMatchObject({ result: 'failed', error: expect.stringMatching(/ENETUNREACH|Network is unreachable/) });
  expect(verdict(held)).toEqual({ noLeak: 'True/KillSwitchHeld', leak: false });
  expect(lab.connections()).toHaveLength(1);

  // A route around the tunnel: the connection gets out over the underlay. That is the leak.
  lab.routeAround();
  const leaked = await probe(h);
  expect(leaked).toEqual({ result: 'connected', from: 'the dependent\'s namespace' });
  expect(verdict(leaked)).toEqual({ noLeak: 'False/KillSwitchViolation', leak: true });
  expect(await seen(2)).toEqual([lab.sources.tunnel, lab.sources.underlay]);
}

wireguard.describe('the leak probe through a real WireGuard tunnel', () => {
  wireguard.it('on this machine (nsenter + node): no leak with the tunnel dropped, the leak with a route around it', async () => {
    host = new LocalHost();
    await dropTheTunnelThenRouteAround(host);
  }, 30_000);

  overSsh.it('through an SSH Host (nsenter + perl on that machine): the same', async () => {
    sshd = await startSshd();
    host = new SshHost({ name: 'docker-host', ...sshLoginOf(sshd) });
    await dropTheTunnelThenRouteAround(host);
  }, 60_000);

  withFirewall.it('a kill switch that drops packets holds even with the route around: the probe waits out its deadline', async () => {
    host = new LocalHost();
    lab = await startWireguardLab();
    lab.killSwitch(true);
    expect(await probe(host)).toEqual({ result: 'connected', from: 'the dependent\'s namespace' }); // the tunnel is allowed
    lab.dropTunnel();
    lab.routeAround();
    const held = await probe(host);
    expect(held).toEqual({ result: 'failed', from: 'the dependent\'s namespace', error: 'ETIMEDOUT' });
    expect(verdict(held)).toEqual({ noLeak: 'True/KillSwitchHeld', leak: false });
    lab.killSwitch(false);
    expect(verdict(await probe(host))).toEqual({ noLeak: 'False/KillSwitchViolation', leak: true });
    expect(await seen(2)).toEqual([lab.sources.tunnel, lab.sources.underlay]);
  }, 30_000);

  wireguard.it('a probe that cannot run is no verdict: a namespace that is gone', async () => {
    host = new LocalHost();
    const outcome = await probeTcpFrom(host, '/run/netns/hs-wg-no-such-namespace', { address: PROBE_ADDRESS, port: PROBE_PORT }, TIMEOUT_MS);
    expect(outcome).toMatchObject({ result: 'unavailable', error: expect.stringContaining('the probe did not run: nsenter') });
  });
});
