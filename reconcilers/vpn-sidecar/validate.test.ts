import { describe, expect, it } from 'vitest';
import type { VpnDependent, VpnSidecarSpec } from './spec.js';
import { validateSpec } from './validate.js';

const dependent = (over: Partial<VpnDependent> = {}): VpnDependent => ({
  name: 'qbittorrent',
  image: 'lscr.io/linuxserver/qbittorrent:latest',
  env: {},
  secretEnv: {},
  volumes: [],
  ports: [],
  ...over,
});
const spec = (dependents: VpnDependent[] = [dependent()], over: Partial<VpnSidecarSpec> = {}): VpnSidecarSpec => ({
  host: 'local',
  adopt: false,
  gateway: { name: 'gluetun', image: 'qmcgaw/gluetun:v3.40.0', env: {}, secretEnv: {}, controlServer: { port: 8000 } },
  dependents,
  ...over,
});

describe('validateSpec', () => {
  it('accepts the lab example', () => {
    const qbt = dependent({
      ports: ['8080:8080', '6881:6881', '6881:6881/udp'],
      volumes: ['/data:/data', 'config:/config:ro'],
      portForwarding: { qbittorrent: { url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '/etc/qbt' } } },
    });
    expect(validateSpec(spec([qbt]))).toEqual([]);
  });

  it('names each option that container network mode forbids, and why', () => {
    const problems = validateSpec(
      spec([dependent({ hostname: 'qbt', dns: ['1.1.1.1'], extraHosts: ['a:1.2.3.4'], macAddress: '02:42:ac:11:00:02', networkMode: 'bridge', networks: ['media'] })]),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'spec.dependents[0].hostname',
      'spec.dependents[0].dns',
      'spec.dependents[0].extraHosts',
      'spec.dependents[0].macAddress',
      'spec.dependents[0].networkMode',
      'spec.dependents[0].networks',
    ]);
    expect(problems[0]!.message).toMatch(/^not allowed on a dependent \(network mode container:gluetun\): .*set the hostname on the gateway/);
    expect(problems[5]!.message).toContain('bypass the kill switch');
  });

  it('refuses a host port published twice, also against the control server', () => {
    const pf = { qbittorrent: { url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '/etc/qbt' } } };
    const problems = validateSpec(
      spec([dependent({ ports: ['8080:8080'], portForwarding: pf }), dependent({ name: 'web', ports: ['127.0.0.1:8080:80', '8000:8000'] })]),
    );
    expect(problems.map((p) => p.path)).toEqual(['spec.dependents[1].ports[0]', 'spec.gateway.controlServer.port (published on 127.0.0.1 for homeostat)']);
    expect(problems[0]!.message).toContain('already published by spec.dependents[0].ports[0]');
  });

  it('refuses duplicate names, a second port-forwarding app, bad images, env and volumes', () => {
    const pf = { qbittorrent: { url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '/etc/qbt' } } };
    const problems = validateSpec(
      spec([
        dependent({ name: 'gluetun', image: 'Qbt:latest', portForwarding: pf }),
        dependent({ name: 'b', env: { 'A=B': 'x', K: 'v' }, secretEnv: { K: { file: '/s' } }, volumes: ['./x:/x', 'v:/x', 'w:rel', 'z:/z:bogus'], portForwarding: pf }),
      ]),
    );
    expect(problems).toEqual([
      { reason: 'InvalidSpec', path: 'spec.dependents[0].name', message: '"gluetun" is already the name of spec.gateway.name; container names must be distinct' },
      { reason: 'InvalidSpec', path: 'spec.dependents[0].image', message: 'not a valid image reference: "Qbt:latest": the repository name must be lowercase ("Qbt")' },
      { reason: 'InvalidSpec', path: 'spec.dependents[1].env', message: '"A=B" is not an environment variable name (no "=", no control characters)' },
      { reason: 'InvalidSpec', path: 'spec.dependents[1].secretEnv.K', message: 'K is also set in spec.dependents[1].env; declare it once' },
      { reason: 'InvalidSpec', path: 'spec.dependents[1].volumes[0]', message: expect.stringContaining('absolute host path or a volume name') },
      { reason: 'InvalidSpec', path: 'spec.dependents[1].volumes[1]', message: '/x is already mounted by spec.dependents[1].volumes[0]' },
      { reason: 'InvalidSpec', path: 'spec.dependents[1].volumes[2]', message: 'the target "rel" must be an absolute path in the container' },
      { reason: 'InvalidSpec', path: 'spec.dependents[1].volumes[3]', message: expect.stringContaining('unknown mount option "bogus"') },
      { reason: 'InvalidSpec', path: 'spec.dependents[1].portForwarding', message: expect.stringContaining('only one dependent can receive the forwarded port') },
    ]);
  });

  it('publishes nothing for the control server when it has a url', () => {
    const pf = { qbittorrent: { url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '/etc/qbt' } } };
    const s = spec([dependent({ ports: ['8000:8000'], portForwarding: pf })]);
    expect(validateSpec(s)).toHaveLength(1);
    s.gateway.controlServer.url = 'http://10.0.0.5:8000';
    expect(validateSpec(s)).toEqual([]);
  });

  it('the control server is published for the tunnel\'s state too (an API key, a leak probe), and clashes are named', () => {
    const withKey = spec([dependent({ ports: ['127.0.0.1:8000:8000'] })]);
    expect(validateSpec(withKey)).toEqual([]); // homeostat does not talk to it: nothing published
    withKey.gateway.controlServer.apiKey = { file: '/etc/gluetun.key' };
    expect(validateSpec(withKey).map((p) => p.path)).toEqual(['spec.gateway.controlServer.port (published on 127.0.0.1 for homeostat)']);
    const withProbe = spec([dependent({ ports: ['127.0.0.1:8000:8000'] })], { leakProbe: { address: '1.1.1.1', port: 443, timeout: '3s', interval: '1m' } });
    expect(validateSpec(withProbe)).toHaveLength(1);
  });

  it('a leak probe names an IP address, never a name', () => {
    const probe = (address: string) => spec([dependent()], { leakProbe: { address, port: 443, timeout: '3s', interval: '1m' } });
    expect(validateSpec(probe('1.1.1.1'))).toEqual([]);
    expect(validateSpec(probe('2606:4700:4700::1111'))).toEqual([]);
    expect(validateSpec(probe('1.1.1'))).toEqual([
      { reason: 'InvalidSpec', path: 'spec.leakProbe.address', message: '"1.1.1" is not an IP address (a name would be resolved through the tunnel\'s DNS)' },
    ]);
  });

  it('compose-like options: each problem names its field', () => {
    expect(validateSpec(spec([dependent({ sysctls: { 'net.ipv4.ip_forward': '1' } })])).map((p) => p.path)).toEqual(['spec.dependents[0].sysctls']);
    const gw = spec([dependent({ labels: { 'dev.homeostat.owner': 'me' }, tmpfs: ['/data'], volumes: ['/srv:/data'] })]);
    gw.gateway = {
      ...gw.gateway,
      sysctls: { 'net.ipv6.conf.all.disable_ipv6': '0' },
      capDrop: ['CAP_NET_ADMIN'],
      ulimits: { nofile: { soft: 2, hard: 1 }, bogus: { soft: 1, hard: 1 } },
      healthcheck: { test: ['CURL', 'x'] },
    };
    expect(validateSpec(gw).map((p) => p.path)).toEqual([
      'spec.gateway.capDrop[0]',
      'spec.gateway.ulimits.nofile',
      'spec.gateway.ulimits.bogus',
      'spec.gateway.healthcheck.test',
      'spec.dependents[0].labels',
      'spec.dependents[0].tmpfs[0]',
    ]);
    const ok = spec([dependent({ healthcheck: { test: ['CMD-SHELL', 'true'], interval: '5s' }, ulimits: { nofile: { soft: 1024, hard: -1 } }, labels: { 'com.example': 'x' } })]);
    expect(validateSpec(ok)).toEqual([]);
    expect(validateSpec(spec([dependent({ healthcheck: { test: ['CMD'] } })]))[0]?.message).toBe('CMD needs the command after it');
    expect(validateSpec(spec([dependent({ healthcheck: { test: ['CMD', 'x'], disable: true } })]))[0]?.path).toBe('spec.dependents[0].healthcheck.disable');
  });
});
