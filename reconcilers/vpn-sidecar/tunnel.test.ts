/**
 * What the tunnel's observation means, pure: TunnelUp True/False/Unknown with their reasons, NoLeak only with a
 * probe and before TunnelUp (a leak is Ready's reason before a tunnel that is down), the status fields (a field with
 * nothing to say is dropped), and when the plan must treat traffic as leaking.
 */
import { describe, expect, it } from 'vitest';
import type { ObservedTunnel } from './model.js';
import type { VpnSidecarSpec } from './spec.js';
import { leakFound, tunnelConditions, tunnelStatusFields } from './tunnel.js';

const spec = (probe = false): VpnSidecarSpec => ({
  host: 'local',
  adopt: false,
  gateway: { name: 'gluetun', image: 'qmcgaw/gluetun:v3.40.0', env: {}, secretEnv: {}, controlServer: { port: 8000, apiKey: { file: '/k' } } },
  dependents: [],
  ...(probe ? { leakProbe: { address: '1.1.1.1', port: 443, timeout: '3s', interval: '1m' } } : {}),
});
const ip = { ip: '198.51.100.7', city: 'Amsterdam', country: 'Netherlands' };
const tunnel = (over: Partial<ObservedTunnel>): { tunnel: ObservedTunnel } => ({ tunnel: { status: 'running', publicIp: null, probe: null, ...over } });
const brief = (s: VpnSidecarSpec, t: { tunnel: ObservedTunnel | null }) => tunnelConditions(s, t).map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('the tunnel\'s conditions', () => {
  it('TunnelUp: True while gluetun runs the VPN, False otherwise, Unknown when it cannot be asked', () => {
    expect(tunnelConditions(spec(), tunnel({ publicIp: ip }))).toEqual([
      { type: 'TunnelUp', status: 'True', reason: 'TunnelUp', message: 'gluetun reports the VPN running, exiting at 198.51.100.7 (Amsterdam, Netherlands)' },
    ]);
    expect(tunnelConditions(spec(), tunnel({ status: 'stopped' }))).toEqual([
      { type: 'TunnelUp', status: 'False', reason: 'TunnelDown', message: 'gluetun reports the VPN stopped: the dependents have no way out until it runs again' },
    ]);
    expect(brief(spec(), tunnel({ status: 'crashed' }))).toEqual(['TunnelUp=False/TunnelDown']);
    const refused = tunnel({ status: null, error: { fault: 'refused', message: 'GET …: 401' } });
    expect(tunnelConditions(spec(), refused)).toEqual([
      { type: 'TunnelUp', status: 'Unknown', reason: 'ControlServerRefused', message: 'cannot ask gluetun\'s control server: GET …: 401' },
    ]);
    expect(brief(spec(), tunnel({ status: null, error: { fault: 'unreachable', message: 'x' } }))).toEqual(['TunnelUp=Unknown/ControlServerUnreachable']);
    expect(brief(spec(), tunnel({ status: null, error: { fault: 'bad-answer', message: 'x' } }))).toEqual(['TunnelUp=Unknown/ControlServerError']);
    expect(tunnelConditions(spec(), { tunnel: null })).toEqual([]); // not read: no condition at all
  });

  it('NoLeak (with a probe), first: held, violated, not probed while the tunnel runs, unavailable', () => {
    const down = (probe: ObservedTunnel['probe']) => tunnel({ status: 'stopped', probe });
    const from = "app's network namespace";
    expect(tunnelConditions(spec(true), down({ result: 'failed', from, error: 'ENETUNREACH' }))[0]).toEqual({
      type: 'NoLeak',
      status: 'True',
      reason: 'KillSwitchHeld',
      message: "with the tunnel down (gluetun: stopped), a TCP connection to 1.1.1.1:443 from app's network namespace failed (ENETUNREACH), as it must",
    });
    expect(tunnelConditions(spec(true), down({ result: 'connected', from }))[0]).toEqual({
      type: 'NoLeak',
      status: 'False',
      reason: 'KillSwitchViolation',
      message: "with the tunnel down (gluetun: stopped), a TCP connection to 1.1.1.1:443 from app's network namespace got out: traffic leaves around the tunnel; the dependents are stopped until the tunnel is up",
    });
    expect(brief(spec(true), down({ result: 'connected', from }))).toEqual(['NoLeak=False/KillSwitchViolation', 'TunnelUp=False/TunnelDown']);
    expect(brief(spec(true), tunnel({}))).toEqual(['NoLeak=Unknown/NotProbed', 'TunnelUp=True/TunnelUp']);
    expect(brief(spec(true), tunnel({ status: null, error: { fault: 'unreachable', message: 'x' } }))).toEqual(['NoLeak=Unknown/NotProbed', 'TunnelUp=Unknown/ControlServerUnreachable']);
    expect(brief(spec(true), down({ result: 'unavailable', error: 'the probe did not run: nsenter: command not found' }))).toEqual(['NoLeak=Unknown/ProbeUnavailable', 'TunnelUp=False/TunnelDown']);
  });

  it('a leak is only a leak while gluetun says the tunnel is down', () => {
    expect(leakFound(tunnel({ status: 'stopped', probe: { result: 'connected', from: 'x' } }))).toBe(true);
    expect(leakFound(tunnel({ status: 'running', probe: { result: 'connected', from: 'x' } }))).toBe(false);
    expect(leakFound(tunnel({ status: 'stopped', probe: { result: 'failed', from: 'x', error: 'ETIMEDOUT' } }))).toBe(false);
    expect(leakFound({ tunnel: null })).toBe(false);
  });

  it('status fields: the state, where the VPN exits; what is unknown is dropped', () => {
    expect(tunnelStatusFields(tunnel({ publicIp: { ...ip, region: 'North Holland' } }))).toEqual({
      tunnel: 'running', publicIp: '198.51.100.7', country: 'Netherlands', region: 'North Holland', city: 'Amsterdam',
    });
    expect(JSON.parse(JSON.stringify(tunnelStatusFields(tunnel({ status: 'stopped' }))))).toEqual({ tunnel: 'stopped' });
    expect(JSON.parse(JSON.stringify(tunnelStatusFields(tunnel({ status: null }))))).toEqual({ tunnel: 'unknown' });
    expect(JSON.parse(JSON.stringify(tunnelStatusFields({ tunnel: null })))).toEqual({});
  });
});
