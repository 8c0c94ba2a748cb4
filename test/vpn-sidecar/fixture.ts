/**
 * One VpnSidecar test's world: unique container and resource names, a temp folder with secret files, a local
 * Host whose Docker endpoint is the real engine, a spec builder (busybox gateway and app by default, ports on
 * 127.0.0.1 only), and `cleanup()`, which removes every container the test or homeostat made, by id.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { VpnDependent, VpnSidecarSpec } from '../../reconcilers/vpn-sidecar/spec.js';
import { ownerOf } from '../../reconcilers/vpn-sidecar/labels.js';
import { createHost, type Host } from '../../reconcilers/host/index.js';
import { DOCKER_SOCKET, removeTestContainers, TEST_APP_IMAGE, TEST_IMAGE, testDocker, uniqueSuffix } from '../support/docker.js';

export const WG_KEY_VALUE = 'wg-PRIVATE-key-do-not-print';

export interface VpnFixture {
  suffix: string;
  resource: string;
  gateway: string;
  app: string;
  dir: string;
  docker: Docker;
  host: Host;
  /** Writes a secret file; returns its path. */
  secret(name: string, value: string): string;
  spec(over?: Partial<VpnSidecarSpec>, dependents?: VpnDependent[]): VpnSidecarSpec;
  dependent(over?: Partial<VpnDependent>): VpnDependent;
  cleanup(): Promise<void>;
}

export function vpnFixture(): VpnFixture {
  const suffix = uniqueSuffix();
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-vpn-'));
  const docker = testDocker();
  const resource = `vpn-${suffix}`;
  const gateway = `hs-gw-${suffix}`;
  const app = `hs-app-${suffix}`;
  const host = createHost('local', { docker: { socketPath: DOCKER_SOCKET } }, { baseDir: '/', stateDir: dir });
  const secret = (name: string, value: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    return path;
  };
  const wgKey = secret('wg.key', WG_KEY_VALUE);
  const dependent = (over: Partial<VpnDependent> = {}): VpnDependent => ({
    name: app,
    image: TEST_APP_IMAGE,
    env: { PUID: '1000' },
    secretEnv: {},
    volumes: [],
    ports: [],
    ...over,
  });
  return {
    suffix,
    resource,
    gateway,
    app,
    dir,
    docker,
    host,
    secret,
    dependent,
    spec: (over = {}, dependents) => ({
      host: 'local',
      adopt: false,
      gateway: {
        name: gateway,
        image: TEST_IMAGE,
        env: { VPN_SERVICE_PROVIDER: 'protonvpn' },
        secretEnv: { WIREGUARD_PRIVATE_KEY: { file: wgKey } },
        controlServer: { port: 8000 },
      },
      dependents: dependents ?? [dependent()],
      ...over,
    }),
    async cleanup() {
      await removeTestContainers(docker, { owners: [ownerOf(resource)], tag: suffix, names: [gateway, app, `${app}-2`] });
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
