/**
 * A real userspace WireGuard tunnel for tests, between two network namespaces the test creates and nothing else
 * touches:
 *   far  — "the VPN server and the internet": the underlay end 10.213.0.1, the tunnel end 10.214.0.1, the probe
 *          address 203.0.113.10 (TEST-NET-3) on its loopback with a TCP listener on it that records who connected;
 *   near — "the dependent": the underlay end 10.213.0.2, the tunnel end 10.214.0.2, its default route through the
 *          tunnel (the only route to the probe address).
 * The underlay is a veth pair with private addresses inside those namespaces only; each end runs Debian's
 * wireguard-go (`-f`, in the foreground, pid kept) with keys from `wg genkey`, configured with `wg set`. Interface
 * and namespace names carry a random suffix (wireguard-go's control socket, /var/run/wireguard/<name>.sock, is
 * shared by every namespace). `dropTunnel()` takes near's tunnel interface down (its routes go with it, as when a
 * VPN client stops); `routeAround()` gives near a route to the probe address over the underlay — a leak, unless
 * `killSwitch(true)` (iptables in near, as gluetun's firewall does it) drops what does not go into the tunnel.
 * `remove()` kills the processes by pid, deletes both namespaces (and with them the veth pair) and the key files.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, netnsAvailable, type TestNetns } from './netns.js';
import { waitUntil } from './wait.js';

const WIREGUARD_GO = '/usr/bin/wireguard-go';
const WG = '/usr/bin/wg';
const NSENTER = '/usr/bin/nsenter';
const UNDERLAY = { far: '10.213.0.1', near: '10.213.0.2' };
const TUNNEL = { far: '10.214.0.1', near: '10.214.0.2' };
const LISTEN_PORT = 51820;

export const PROBE_ADDRESS = '203.0.113.10';
export const PROBE_PORT = 4443;

export function wireguardAvailable(): boolean {
  return netnsAvailable() && [WIREGUARD_GO, WG, NSENTER, '/dev/net/tun'].every((p) => existsSync(p));
}

export const WIREGUARD_MISSING = 'needs root, ip, nsenter, wireguard-go, wg (wireguard-tools) and /dev/net/tun';

export interface WireguardLab {
  far: TestNetns;
  near: TestNetns;
  /** The near namespace as a path nsenter takes (`--net=`). */
  nearNsPath: string;
  /** The address of the far end of each path near may take to the probe address: the tunnel's and the underlay's. */
  sources: { tunnel: string; underlay: string };
  /** Remote addresses of the connections the listener accepted, in order. */
  connections(): string[];
  dropTunnel(): void;
  routeAround(): void;
  /**
   * gluetun's kind of kill switch in near (iptables): output dropped unless it goes to loopback, into the tunnel,
   * or to the tunnel's endpoint; `false` lifts it. Needs iptables (`iptablesAvailable`).
   */
  killSwitch(on: boolean): void;
  remove(): Promise<void>;
}

const IPTABLES = '/usr/sbin/iptables';

export function iptablesAvailable(): boolean {
  return existsSync(IPTABLES);
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A key pair from wg itself: the private key in a 0600 file (what `wg set private-key` reads), the public key. */
function keyPair(dir: string, name: string): { file: string; publicKey: string } {
  const privateKey = execFileSync(WG, ['genkey'], { encoding: 'utf8' }).trim();
  const file = join(dir, `${name}.key`);
  writeFileSync(file, `${privateKey}\n`, { mode: 0o600 });
  return { file, publicKey: execFileSync(WG, ['pubkey'], { input: `${privateKey}\n`, encoding: 'utf8' }).trim() };
}

/** wireguard-go in the foreground inside `ns`, up once its interface and control socket exist. */
async function startWireguardGo(ns: TestNetns, iface: string): Promise<ChildProcess> {
  const proc = ns.spawnInside(['env', 'WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1', WIREGUARD_GO, '-f', iface]);
  await waitUntil(`wireguard-go ${iface} in ${ns.name}`, () => {
    if (proc.exitCode !== null) throw new Error(`wireguard-go ${iface} exited with ${proc.exitCode}`);
    return existsSync(`/var/run/wireguard/${iface}.sock`);
  }, 5_000);
  return proc;
}

export async function startWireguardLab(): Promise<WireguardLab> {
  const suffix = randomBytes(3).toString('hex');
  const names = { far: `hs-wg-far-${suffix}`, near: `hs-wg-near-${suffix}`, vethFar: `hsvf${suffix}`, vethNear: `hsvn${suffix}`, wgFar: `hswf${suffix}`, wgNear: `hswn${suffix}` };
  const keys = mkdtempSync(join(tmpdir(), 'homeostat-wg-'));
  const created: TestNetns[] = [];
  const remove = async () => {
    for (const ns of created.reverse()) await ns.remove().catch(() => undefined);
    rmSync(keys, { recursive: true, force: true });
  };
  try {
    const far = createNetns(names.far);
    created.push(far);
    const near = createNetns(names.near);
    created.push(near);
    ip('link', 'add', names.vethFar, 'netns', far.name, 'type', 'veth', 'peer', 'name', names.vethNear, 'netns', near.name);
    ip('-n', far.name, 'addr', 'add', `${UNDERLAY.far}/30`, 'dev', names.vethFar);
    ip('-n', near.name, 'addr', 'add', `${UNDERLAY.near}/30`, 'dev', names.vethNear);
    ip('-n', far.name, 'link', 'set', names.vethFar, 'up');
    ip('-n', near.name, 'link', 'set', names.vethNear, 'up');
    ip('-n', far.name, 'addr', 'add', `${PROBE_ADDRESS}/32`, 'dev', 'lo');

    await startWireguardGo(far, names.wgFar);
    await startWireguardGo(near, names.wgNear);
    const farKey = keyPair(keys, 'far');
    const nearKey = keyPair(keys, 'near');
    execFileSync(WG, ['set', names.wgFar, 'private-key', farKey.file, 'listen-port', String(LISTEN_PORT), 'peer', nearKey.publicKey, 'allowed-ips', `${TUNNEL.near}/32`]);
    execFileSync(WG, ['set', names.wgNear, 'private-key', nearKey.file, 'peer', farKey.publicKey, 'endpoint', `${UNDERLAY.far}:${LISTEN_PORT}`, 'allowed-ips', '0.0.0.0/0']);
    ip('-n', far.name, 'addr', 'add', `${TUNNEL.far}/24`, 'dev', names.wgFar);
    ip('-n', near.name, 'addr', 'add', `${TUNNEL.near}/24`, 'dev', names.wgNear);
    ip('-n', far.name, 'link', 'set', names.wgFar, 'up');
    ip('-n', near.name, 'link', 'set', names.wgNear, 'up');
    ip('-n', near.name, 'route', 'add', 'default', 'dev', names.wgNear);

    const seen: string[] = [];
    const listener = far.spawnInside([
      process.execPath,
      '-e',
      `require('node:net').createServer((s) => { console.log('from ' + s.remoteAddress); s.end(); })
         .listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));`,
      PROBE_ADDRESS,
      String(PROBE_PORT),
    ]);
    let listening = false;
    let buffered = '';
    listener.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'listening') listening = true;
        else if (line.startsWith('from ')) seen.push(line.slice('from '.length));
      }
    });
    await waitUntil('the probe listener in the far namespace', () => listening, 5_000);

    return {
      far,
      near,
      nearNsPath: `/run/netns/${near.name}`,
      sources: { tunnel: TUNNEL.near, underlay: UNDERLAY.near },
      connections: () => [...seen],
      dropTunnel: () => ip('-n', near.name, 'link', 'set', names.wgNear, 'down'),
      routeAround: () => ip('-n', near.name, 'route', 'add', `${PROBE_ADDRESS}/32`, 'via', UNDERLAY.far, 'dev', names.vethNear),
      killSwitch(on) {
        const iptables = (...args: string[]) => ip('netns', 'exec', near.name, IPTABLES, '-w', '5', ...args);
        if (!on) {
          iptables('-P', 'OUTPUT', 'ACCEPT');
          iptables('-F', 'OUTPUT');
          return;
        }
        iptables('-A', 'OUTPUT', '-o', 'lo', '-j', 'ACCEPT');
        iptables('-A', 'OUTPUT', '-o', names.wgNear, '-j', 'ACCEPT');
        iptables('-A', 'OUTPUT', '-d', UNDERLAY.far, '-p', 'udp', '--dport', String(LISTEN_PORT), '-j', 'ACCEPT');
        iptables('-P', 'OUTPUT', 'DROP');
      },
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}
