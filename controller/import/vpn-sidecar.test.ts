/**
 * VpnSidecar import, pure: groups found by `container:` network mode, each container described relative to its
 * image, secret-looking values never printed, ports listed under a dependent, owned containers left out; and the
 * round trip: what it emits is exactly what in-place adoption finds matching the containers it read.
 */
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { describe, expect, it } from 'vitest';
import { defaultSchemas } from '../manifests/schema.js';
import { desiredDependent, desiredGateway } from '../../reconcilers/vpn-sidecar/desired.js';
import { liveConfigOf } from '../../reconcilers/vpn-sidecar/live-config.js';
import { inPlaceMismatches } from '../../reconcilers/vpn-sidecar/plan/adoption.js';
import type { VpnSidecarSpec } from '../../reconcilers/vpn-sidecar/spec.js';
import { specCheckFor } from './compose/index.js';
import { renderImport } from './document.js';
import { byteSize, durationText, portText, restartText, vpnSidecarDocuments } from './vpn-sidecar.js';

const check = specCheckFor(defaultSchemas().get('VpnSidecar')!);
const GW = 'g'.repeat(64);
const image = (over: object = {}): Pick<ImageInspectInfo, 'Config'> => ({ Config: { Env: ['PATH=/bin'], Cmd: ['/start'], ExposedPorts: {}, ...over } as ImageInspectInfo['Config'] });
const IMAGES = new Map([
  ['sha256:gw', image({ Entrypoint: ['/gluetun-entrypoint'], Cmd: null, Healthcheck: { Test: ['CMD', '/healthcheck'], Interval: 5e9 } })],
  ['sha256:app', image({ ExposedPorts: { '8080/tcp': {} }, Labels: { maintainer: 'lsio' } })],
]);

function container(id: string, name: string, imageId: string, ref: string, config: object, host: object): ContainerInspectInfo {
  return {
    Id: id,
    Name: `/${name}`,
    Image: imageId,
    Config: { Image: ref, Env: ['PATH=/bin'], Cmd: null, Entrypoint: null, User: '', WorkingDir: '', Hostname: id.slice(0, 12), Labels: {}, ...config },
    HostConfig: { NetworkMode: 'bridge', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 }, ShmSize: 67108864, IpcMode: 'private', ...host },
    State: { Running: true, Status: 'running' },
    NetworkSettings: { Networks: { media_default: {} } },
    Mounts: [],
  } as unknown as ContainerInspectInfo;
}

const gluetun = container(GW, 'gluetun', 'sha256:gw', 'qmcgaw/gluetun:v3.40.0', {
  Env: ['PATH=/bin', 'VPN_SERVICE_PROVIDER=mullvad', 'WIREGUARD_PRIVATE_KEY=c2VjcmV0', 'TZ=Europe/Paris'],
  Entrypoint: ['/gluetun-entrypoint'],
  Healthcheck: { Test: ['CMD', '/healthcheck'], Interval: 5e9 },
  Labels: { 'com.docker.compose.project': 'media', 'com.docker.compose.service': 'gluetun' },
}, {
  CapAdd: ['NET_ADMIN'],
  Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
  PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '6881/udp': [{ HostIp: '', HostPort: '6881' }] },
  Binds: ['/srv/gluetun:/gluetun'],
});
const qbit = container('q'.repeat(64), 'qbittorrent', 'sha256:app', 'lscr.io/linuxserver/qbittorrent:latest', {
  Env: ['PATH=/bin', 'PUID=1000', 'WEBUI_PORT=8080'],
  Cmd: ['/start'],
  Labels: { maintainer: 'lsio', 'com.docker.compose.project': 'media', 'dev.homeostat.test': 'x' },
  StopTimeout: 30,
}, { NetworkMode: `container:${GW}`, Binds: ['/data:/data:rw'], Mounts: [{ Type: 'bind', Source: '/srv/qbt', Target: '/config' }], RestartPolicy: { Name: 'no' }, ShmSize: 268435456 });
const stopped = { ...container('s'.repeat(64), 'sonarr', 'sha256:app', 'lscr.io/linuxserver/sonarr:latest', {}, { NetworkMode: `container:${GW}` }), State: { Running: false, Status: 'exited' } } as unknown as ContainerInspectInfo;
const plain = container('p'.repeat(64), 'plain', 'sha256:app', 'nginx:1', {}, {});

const run = (containers: ContainerInspectInfo[]) => vpnSidecarDocuments({ host: 'pve', containers, images: IMAGES, check, secretsDir: '/etc/homeostat/secrets' });

describe('vpnSidecarDocuments', () => {
  it('a gateway and its running dependents, relative to their images, secrets by file, ports under the dependent that exposes them', () => {
    const result = run([gluetun, qbit, stopped, plain]);
    expect(result.documents).toHaveLength(1);
    const doc = result.documents[0]!;
    expect(doc.name).toBe('pve-gluetun');
    expect(doc.spec).toEqual({
      host: 'pve',
      adopt: true,
      gateway: {
        name: 'gluetun',
        image: 'qmcgaw/gluetun:v3.40.0',
        env: { VPN_SERVICE_PROVIDER: 'mullvad', TZ: 'Europe/Paris' },
        secretEnv: { WIREGUARD_PRIVATE_KEY: { file: '/etc/homeostat/secrets/pve-gluetun/WIREGUARD_PRIVATE_KEY' } },
      },
      dependents: [
        {
          name: 'qbittorrent',
          image: 'lscr.io/linuxserver/qbittorrent:latest',
          env: { PUID: '1000', WEBUI_PORT: '8080' },
          stopGracePeriod: '30s',
          restart: 'no',
          shmSize: '256m',
          volumes: ['/data:/data:rw', '/srv/qbt:/config'],
          ports: ['127.0.0.1:8080:8080', '6881:6881/udp'],
        },
      ],
    });
    const text = renderImport(result, []);
    expect(text).not.toContain('c2VjcmV0');
    expect(text).toContain("sed -n 's/^WIREGUARD_PRIVATE_KEY=//p' > /etc/homeostat/secrets/pve-gluetun/WIREGUARD_PRIVATE_KEY");
    expect(text).toContain('gluetun: volume /srv/gluetun:/gluetun: the VpnSidecar gateway has no volumes field');
    expect(text).toContain('gluetun: on network media_default');
    expect(text).toContain('qbittorrent: labels dev.homeostat.test');
    expect(result.notes).toEqual([expect.stringContaining('sonarr (ssssssssssss) shares gluetun\'s network stack but is not running')]);
  });

  it('round trip: in-place adoption finds the emitted declaration matching the containers it was read from', () => {
    const [doc] = run([gluetun, { ...qbit, Config: { ...qbit.Config, Labels: { maintainer: 'lsio' } } } as ContainerInspectInfo]).documents;
    const s = doc!.spec as unknown as VpnSidecarSpec;
    const full: VpnSidecarSpec = {
      ...s,
      gateway: { ...s.gateway, controlServer: { port: 8000 }, secretEnv: {} },
      dependents: s.dependents.map((d) => Object.assign({ secretEnv: {}, env: {}, volumes: [], ports: [] }, d)),
    };
    const dep = full.dependents[0]!;
    expect(inPlaceMismatches({ ...liveConfigOf(qbit, IMAGES.get('sha256:app')!), imageFound: true }, desiredDependent(dep, {}))).toEqual([]);
    const gatewayLive = liveConfigOf({ ...gluetun, HostConfig: { ...gluetun.HostConfig, Binds: [] } } as ContainerInspectInfo, IMAGES.get('sha256:gw')!);
    const withoutSecret = { ...gatewayLive, envHashes: Object.fromEntries(Object.entries(gatewayLive.envHashes).filter(([k]) => k !== 'WIREGUARD_PRIVATE_KEY')) };
    expect(inPlaceMismatches({ ...withoutSecret, imageFound: true }, desiredGateway(full, {}))).toEqual([]);
  });

  it('leaves out what homeostat owns already, and a name the spec does not accept', () => {
    const owned = { ...gluetun, Config: { ...gluetun.Config, Labels: { 'dev.homeostat.owner': 'VpnSidecar/vpn' } } } as ContainerInspectInfo;
    expect(run([owned, qbit])).toEqual({ documents: [], notes: [expect.stringContaining('belong to homeostat already (VpnSidecar/vpn)')] });
    const badName = { ...qbit, Name: '/q' } as ContainerInspectInfo;
    expect(run([gluetun, badName]).notes).toEqual([expect.stringMatching(/^Not imported: q \(qqqqqqqqqqqq\): its name "q" is not accepted/)]);
    expect(run([plain])).toEqual({ documents: [], notes: [] });
  });
});

describe('Docker values as the spec writes them', () => {
  it('ports, restart policies, sizes and durations', () => {
    expect(portText('8080/tcp', { HostIp: '127.0.0.1', HostPort: '8081' })).toBe('127.0.0.1:8081:8080');
    expect(portText('53/udp', { HostIp: '', HostPort: '' })).toBe('53/udp');
    expect(portText('80/tcp', { HostIp: '::1', HostPort: '80' })).toBeNull();
    expect(portText('80/tcp', { HostIp: '127.0.0.1', HostPort: '' })).toBeNull();
    expect(restartText({ Name: '' })).toBe('no');
    expect(restartText({ Name: 'on-failure', MaximumRetryCount: 3 })).toBe('on-failure:3');
    expect([byteSize(268435456), byteSize(1024 ** 3), byteSize(1000)]).toEqual(['256m', '1g', '1000']);
    expect([durationText(90_000), durationText(120_000), durationText(1500)]).toEqual(['90s', '2m', '1500ms']);
  });
});
