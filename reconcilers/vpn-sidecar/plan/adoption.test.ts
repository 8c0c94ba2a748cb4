/**
 * In-place adoption, pure: a foreign container read as Docker holds it (live-config.ts) is compared with what its
 * declaration would create, field by field; a match plans no change and is listed for verify to record, a
 * difference is a recreate naming it; a recorded adoption reads as owned, and a later spec change recreates it.
 */
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { describe, expect, it } from 'vitest';
import { desiredDependent, desiredGateway } from '../desired.js';
import { ownerOf } from '../labels.js';
import { liveConfigOf } from '../live-config.js';
import type { ObservedContainer, VpnObserved } from '../model.js';
import { planVpn } from '../plan.js';
import type { VpnDependent, VpnSidecarSpec } from '../spec.js';
import { adoptionItem, inPlaceMismatches, normalMount, withAdoptionRecord } from './adoption.js';

const OWNER = ownerOf('vpn');
const GW_ID = 'g'.repeat(64);
const APP_ID = 'a'.repeat(64);
const IMAGE: Pick<ImageInspectInfo, 'Config'> = { Config: { Env: ['PATH=/bin'], Cmd: ['serve'], Labels: { 'org.opencontainers.image.title': 'app' } } as unknown as ImageInspectInfo['Config'] };

const app = (over: Partial<VpnDependent> = {}): VpnDependent => ({ name: 'app', image: 'app:1', env: { PUID: '1000' }, secretEnv: {}, volumes: ['/data:/data'], ports: ['127.0.0.1:8080:8080'], ...over });
const spec = (over: Partial<VpnSidecarSpec> = {}, dependents = [app()]): VpnSidecarSpec => ({
  host: 'local',
  adopt: true,
  gateway: { name: 'gw', image: 'gw:1', env: { TZ: 'UTC' }, secretEnv: {}, controlServer: { port: 8000 } },
  dependents,
  ...over,
});

/** What `docker inspect` shows for a container made by hand as the spec above says. */
function inspect(role: 'gateway' | 'dependent', over: { Config?: object; HostConfig?: object } = {}): ContainerInspectInfo {
  const gateway = role === 'gateway';
  return {
    Id: gateway ? GW_ID : APP_ID,
    Name: gateway ? '/gw' : '/app',
    Image: 'sha256:img',
    Config: {
      Image: gateway ? 'gw:1' : 'app:1',
      Env: gateway ? ['PATH=/bin', 'TZ=UTC'] : ['PATH=/bin', 'PUID=1000'],
      Cmd: ['serve'],
      Entrypoint: null,
      User: '',
      WorkingDir: '',
      Hostname: gateway ? GW_ID.slice(0, 12) : '',
      Labels: { 'org.opencontainers.image.title': 'app', 'com.docker.compose.project': 'media' },
      ...over.Config,
    },
    HostConfig: {
      NetworkMode: gateway ? 'media_default' : `container:${GW_ID}`,
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      CapAdd: gateway ? ['NET_ADMIN'] : null,
      Devices: gateway ? [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }] : [],
      PortBindings: gateway ? { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] } : {},
      Binds: gateway ? null : ['/data:/data:rw'],
      ShmSize: 67108864,
      IpcMode: 'private',
      ...over.HostConfig,
    },
    State: { Status: 'running', Running: true, Pid: 1, StartedAt: '2026-01-01T00:00:00Z' },
    Mounts: [],
  } as unknown as ContainerInspectInfo;
}

const live = (info: ContainerInspectInfo) => ({ ...liveConfigOf(info, IMAGE), imageFound: true });

describe('inPlaceMismatches', () => {
  it('finds nothing when the container is what the declaration creates (image defaults, compose labels, rw left aside)', () => {
    expect(inPlaceMismatches(live(inspect('gateway')), desiredGateway(spec(), {}))).toEqual([]);
    expect(inPlaceMismatches(live(inspect('dependent')), desiredDependent(app(), {}))).toEqual([]);
  });

  it('names each difference, never a value', () => {
    const changed = inspect('dependent', {
      Config: { Env: ['PATH=/bin', 'PUID=0', 'API_TOKEN=hunter2'], Cmd: ['other'], User: '1000' },
      HostConfig: { RestartPolicy: { Name: 'no' }, Binds: ['/data:/srv'], Privileged: true, Dns: ['1.1.1.1'] },
    });
    const reasons = inPlaceMismatches(live(changed), desiredDependent(app(), {}));
    expect(reasons).toEqual([
      'env PUID differs',
      'env API_TOKEN is set but not declared',
      'command differs',
      'user differs',
      'restart is no, declared unless-stopped',
      'volumes differ',
      'privileged: the VpnSidecar spec has no field for it',
      'dns 1.1.1.1: the VpnSidecar spec has no field for it',
    ]);
    expect(reasons.join()).not.toContain('hunter2');
    const bare = inspect('gateway', { HostConfig: { CapAdd: null, Devices: [], PortBindings: {} } });
    expect(inPlaceMismatches(live(bare), desiredGateway(spec(), {}))).toEqual(['capAdd differs', 'devices differ', 'published ports differ']);
    expect(inPlaceMismatches({ ...live(inspect('gateway')), imageFound: false }, desiredGateway(spec(), {}))[0]).toContain('image is no longer');
  });

  it('compares a secret env by hash, a declared command and entrypoint as Docker merges them', () => {
    const withSecret = inspect('dependent', { Config: { Env: ['PATH=/bin', 'PUID=1000', 'API_TOKEN=hunter2'], Entrypoint: ['/init'], Cmd: null } });
    const declared = app({ secretEnv: { API_TOKEN: { file: '/s/token' } }, entrypoint: ['/init'] });
    const sha = (v: string) => liveConfigOf({ ...withSecret, Config: { ...withSecret.Config, Env: [`X=${v}`] } } as ContainerInspectInfo, null).envHashes.X!;
    expect(inPlaceMismatches(live(withSecret), desiredDependent(declared, { '/s/token': sha('hunter2') }))).toEqual([]);
    expect(inPlaceMismatches(live(withSecret), desiredDependent(declared, { '/s/token': sha('other') }))).toEqual(['env API_TOKEN differs']);
  });

  it('reads mounts with their options sorted and rw left out', () => {
    expect(normalMount('/a:/b:rw')).toBe('/a:/b');
    expect(normalMount('/a:/b/:z,ro')).toBe('/a:/b:ro,z');
  });
});

function observed(over: { gateway?: Partial<ObservedContainer>; app?: Partial<ObservedContainer> } = {}, s = spec()): VpnObserved {
  const base = (info: ContainerInspectInfo, role: 'gateway' | 'dependent'): ObservedContainer => ({
    id: info.Id,
    name: info.Name.slice(1),
    image: info.Config.Image,
    owner: null,
    role: null,
    specHash: null,
    fields: {},
    envHashes: {},
    status: 'running',
    startedAt: role === 'gateway' ? '2026-01-01T00:00:00Z' : '2026-01-01T00:00:01Z',
    health: 'none',
    networkMode: info.HostConfig.NetworkMode!,
    networks: role === 'gateway' ? ['media_default'] : [],
    volumes: [],
    pid: 1,
    netns: 7,
    peer: role === 'gateway' ? null : { id: GW_ID, running: true },
    live: live(info),
  });
  return {
    gateway: { ...base(inspect('gateway'), 'gateway'), ...over.gateway },
    dependents: { [s.dependents[0]!.name]: { ...base(inspect('dependent'), 'dependent'), ...over.app } },
    strays: [],
    secrets: {},
    images: { 'gw:1': true, 'app:1': true },
    portForwarding: null,
    tunnel: null,
  };
}
const input = { name: 'vpn', now: 0, inventory: [], memo: {} };

describe('planVpn with adopt: true', () => {
  it('plans no change for matching foreign containers, lists them for verify to record, and notes them for diff', () => {
    const plan = planVpn(spec(), observed(), input);
    expect(plan.changes).toEqual([]);
    expect(plan.adoptInPlace?.map((a) => [a.name, a.role, a.specHash])).toEqual([
      ['gw', 'gateway', desiredGateway(spec(), {}).specHash],
      ['app', 'dependent', desiredDependent(app(), {}).specHash],
    ]);
    expect(plan.notes).toEqual([
      'adopt container gw (gggggggggggg) in place: it matches its declaration',
      'adopt container app (aaaaaaaaaaaa) in place: it matches its declaration',
    ]);
  });

  it('recreates one that differs, naming why, and adopts the rest', () => {
    const plan = planVpn(spec(), observed({ app: { live: live(inspect('dependent', { HostConfig: { Binds: ['/data:/srv'] } })) } }), input);
    expect(plan.changes.map((c) => c.summary)).toEqual([expect.stringMatching(/^recreate app \(aaaaaaaaaaaa\): adopted: .* differs from its declaration \(volumes differ\)$/)]);
    expect(plan.adoptInPlace?.map((a) => a.name)).toEqual(['gw']);
    expect(plan.notes).toEqual(['adopt container gw (gggggggggggg) in place: it matches its declaration']);
  });

  it('without adopt, stalls as before; without a reading, recreates as before', () => {
    expect(() => planVpn(spec({ adopt: false }), observed(), input)).toThrow(/set spec.adopt: true/);
    const unread = planVpn(spec(), observed({ gateway: { live: undefined }, app: { live: undefined } }), input);
    expect(unread.changes[0]!.summary).toMatch(/adopted: it was not created by homeostat for VpnSidecar\/vpn$/);
    expect(unread.adoptInPlace).toBeUndefined();
    expect(unread.notes).toBeUndefined();
  });

  it('a recorded adoption reads as owned: no change, nothing to adopt again, and a spec change recreates it', () => {
    const first = planVpn(spec(), observed(), input).adoptInPlace!;
    const inventory = first.map((a) => adoptionItem('local', a));
    const o = observed();
    const owned = { ...o, gateway: withAdoptionRecord(o.gateway!, OWNER, inventory, 'local'), dependents: { app: withAdoptionRecord(o.dependents.app!, OWNER, inventory, 'local') } };
    expect(owned.gateway).toMatchObject({ owner: OWNER, role: 'gateway', adoptedInPlace: true });
    expect(planVpn(spec(), owned, { ...input, inventory })).toEqual({ changes: [] });
    const changed = spec({}, [app({ env: { PUID: '1001' } })]);
    const ownedWithHashes = { ...owned, dependents: { app: { ...owned.dependents.app, envHashes: o.dependents.app!.live!.envHashes } } };
    expect(planVpn(changed, ownedWithHashes, { ...input, inventory }).changes.map((c) => c.summary)).toEqual([expect.stringContaining('recreate app (aaaaaaaaaaaa): env PUID=1001')]);
    expect(withAdoptionRecord(o.gateway!, OWNER, [], 'local')).toBe(o.gateway);
  });
});
