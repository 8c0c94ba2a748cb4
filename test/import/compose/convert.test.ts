/**
 * `import compose` as a converter: compose files written the way the gluetun wiki and linuxserver.io show them
 * become VpnSidecar manifests that the schema and the kind's own checks accept, with every secret referenced by
 * file and none of their values in the output; bad input is an error naming the file, the line and the field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadManifestDir } from '../../../controller/manifests/load.js';
import { defaultSchemas } from '../../../controller/manifests/schema.js';
import { ComposeImportError, convertCompose, readEnvFileNames, renderComposeImport, specCheckFor } from '../../../controller/import/compose/index.js';
import { validateSpec } from '../../../reconcilers/vpn-sidecar/validate.js';
import type { VpnSidecarSpec } from '../../../reconcilers/vpn-sidecar/spec.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const check = specCheckFor(defaultSchemas().get('VpnSidecar')!);
const scratch = mkdtempSync(join(tmpdir(), 'homeostat-import-compose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function importFile(path: string, extra: { host?: string } = {}) {
  const text = readFileSync(path, 'utf8');
  const result = convertCompose({ file: path, text, composeDir: dirname(path), check, readEnvNames: readEnvFileNames, ...extra });
  const output = renderComposeImport(result, path);
  /** The comments with their wrapped lines joined, to match a note whole. */
  const notes = output.replace(/\n# {3}/g, ' ');
  return { result, output, notes };
}

function importText(text: string) {
  return () => convertCompose({ file: 'compose.yaml', text, composeDir: scratch, check, readEnvNames: () => undefined });
}

/** Writes `output` into a fresh manifests directory and loads it as `homeostat validate` does. */
async function loadOutput(output: string) {
  const dir = mkdtempSync(join(scratch, 'manifests-'));
  writeFileSync(join(dir, 'imported.yaml'), output);
  return loadManifestDir(dir);
}

/** Every known secret value in the fixtures: none may appear in an output. */
const KNOWN_SECRET = /KNOWN-SECRET/;

describe('the gluetun wiki + linuxserver.io qBittorrent compose', () => {
  const { result, output, notes } = importFile(join(FIXTURES, 'gluetun-qbittorrent.yaml'));
  const spec = parse(output) as { spec: VpnSidecarSpec; metadata: { name: string } };

  it('becomes one VpnSidecar: gluetun the gateway, qBittorrent its dependent', () => {
    expect(result.sidecars).toHaveLength(1);
    expect(spec.metadata.name).toBe('gluetun');
    expect(spec.spec.gateway).toMatchObject({ name: 'gluetun', image: 'qmcgaw/gluetun' });
    expect(spec.spec.gateway.env).toMatchObject({ VPN_SERVICE_PROVIDER: 'mullvad', VPN_TYPE: 'wireguard', SERVER_CITIES: 'Amsterdam', TZ: '' });
    expect(spec.spec.dependents.map((d) => d.name)).toEqual(['qbittorrent']);
    expect(spec.spec.dependents[0]!.env).toEqual({ PUID: '1000', PGID: '1000', TZ: 'Etc/UTC', WEBUI_PORT: '8080', TORRENTING_PORT: '6881' });
  });

  it('publishes every port the gateway published, on the gateway', () => {
    const published = [...((spec.spec.gateway as { ports?: string[] }).ports ?? []), ...spec.spec.dependents.flatMap((d) => d.ports ?? [])];
    expect(published.sort()).toEqual(['6881:6881', '6881:6881/udp', '8080:8080', '8388:8388/tcp', '8388:8388/udp', '8888:8888/tcp'].sort());
  });

  it('turns the pasted WireGuard key into a secretEnv file reference, without its value', () => {
    expect(spec.spec.gateway.secretEnv).toEqual({ WIREGUARD_PRIVATE_KEY: { file: '/etc/homeostat/secrets/gluetun/WIREGUARD_PRIVATE_KEY' } });
    expect(spec.spec.gateway.env).not.toHaveProperty('WIREGUARD_PRIVATE_KEY');
    expect(output).not.toMatch(KNOWN_SECRET);
    expect(notes).toMatch(/services\.gluetun\.environment\[2\] \(line 25\): WIREGUARD_PRIVATE_KEY looks like a secret/);
  });

  it('resolves the relative bind mount against the compose file, and says so', () => {
    expect(spec.spec.dependents[0]!.volumes).toEqual([`${join(FIXTURES, 'qbittorrent/appdata')}:/config`, '/path/to/downloads:/downloads']);
    expect(notes).toMatch(/services\.qbittorrent\.volumes\[0\].*\.\/qbittorrent\/appdata is relative to the compose file/);
  });

  it('lists what the spec cannot carry, by service and key, and what homeostat does itself', () => {
    const keys = (kind: string) => result.sidecars[0]!.notes.filter((n) => n.kind === kind).map((n) => `${n.service}.${n.key}`);
    if (!check.has('gateway', 'volumes')) expect(keys('notCarried')).toContain('gluetun.volumes[0]');
    expect(keys('covered')).toEqual(expect.arrayContaining(['gluetun.cap_add', 'gluetun.devices', 'qbittorrent.network_mode', 'qbittorrent.depends_on']));
    expect(notes).toMatch(/^# Not carried/m);
    expect(notes).toMatch(/^# - services\.gluetun\.volumes\[0\] \(/m);
  });

  it('validates: schema (homeostat validate) and the kind\'s own checks', async () => {
    const loaded = await loadOutput(output);
    expect(loaded.errors).toEqual([]);
    expect(loaded.resources).toHaveLength(1);
    expect(validateSpec(loaded.resources[0]!.spec as VpnSidecarSpec)).toEqual([]);
  });
});

describe('secrets, env files, container: network mode and services outside the VPN', () => {
  const path = join(FIXTURES, 'secrets', 'compose.yaml');
  const { result, output, notes } = importFile(path, { host: 'docker-ct' });
  const doc = parse(output) as { spec: VpnSidecarSpec & { host: string } };
  const secretsDir = join(FIXTURES, 'secrets');

  it('never prints a value from a secrets file, an env file or the environment', () => {
    expect(output).not.toMatch(KNOWN_SECRET);
  });

  it('references compose secrets by their files, under the variable the image reads', () => {
    expect(doc.spec.host).toBe('docker-ct');
    expect(doc.spec.gateway.name).toBe('vpn');
    expect(doc.spec.gateway.secretEnv).toMatchObject({
      OPENVPN_USER: { file: join(secretsDir, 'openvpn_user') },
      OPENVPN_PASSWORD: { file: join(secretsDir, 'openvpn_password') },
    });
    const qbt = doc.spec.dependents.find((d) => d.name === 'qbittorrent')!;
    expect(qbt.secretEnv).toEqual({ PASSWORD: { file: join(secretsDir, 'qbt_password') } });
    expect(qbt.env).not.toHaveProperty('FILE__PASSWORD');
  });

  it('turns each env_file variable into a secretEnv entry the user fills, with how to in a comment', () => {
    expect(doc.spec.gateway.secretEnv).toMatchObject({
      OPENVPN_ENDPOINT_PORT: { file: '/etc/homeostat/secrets/gluetun/OPENVPN_ENDPOINT_PORT' },
      SERVER_HOSTNAMES: { file: '/etc/homeostat/secrets/gluetun/SERVER_HOSTNAMES' },
      TZ: { file: '/etc/homeostat/secrets/gluetun/TZ' },
    });
    expect(notes).toMatch(/services\.gluetun\.env_file .*defines OPENVPN_ENDPOINT_PORT, SERVER_HOSTNAMES, TZ: each is a secretEnv entry/);
    expect(notes).toContain("grep -m1 '^OPENVPN_ENDPOINT_PORT='");
  });

  it('follows container:NAME and a chain of network modes to the gateway', () => {
    expect(doc.spec.dependents.map((d) => d.name)).toEqual(['qbittorrent', 'prowlarr']);
    expect(notes).toMatch(/services\.prowlarr\.network_mode .*joins qbittorrent, which joins gluetun/);
  });

  it('publishes the app ports on the gateway and leaves the control server to homeostat', () => {
    const published = [...((doc.spec.gateway as { ports?: string[] }).ports ?? []), ...doc.spec.dependents.flatMap((d) => d.ports ?? [])];
    expect(published).toEqual(['127.0.0.1:8090:8080/tcp']);
    expect(doc.spec.gateway.controlServer).toEqual({ port: 8001 });
    expect(notes).toMatch(/services\.gluetun\.ports\[0\] .*the control server/);
  });

  it('leaves ${VAR} as written and says so; lists the service outside the VPN and the named volume', () => {
    expect(doc.spec.gateway.env.SERVER_REGIONS).toBe('${REGION:-Netherlands}');
    expect(notes).toMatch(/services\.gluetun\.environment\.SERVER_REGIONS .*homeostat does not substitute variables/);
    expect(notes).toMatch(/services\.homepage \(.*\): not behind a VPN gateway/);
    expect(notes).toMatch(/# - volumes \(.*\): named volumes downloads/);
  });

  it('carries the fields this build\'s spec has and lists the others by key', () => {
    const notCarried = result.sidecars[0]!.notes.filter((n) => n.kind === 'notCarried').map((n) => `${n.service}.${n.key}`);
    for (const [service, key, field, role] of [
      ['gluetun', 'healthcheck', 'healthcheck', 'gateway'],
      ['gluetun', 'labels', 'labels', 'gateway'],
      ['qbittorrent', 'stop_grace_period', 'stopGracePeriod', 'dependent'],
      ['qbittorrent', 'user', 'user', 'dependent'],
      ['prowlarr', 'command', 'command', 'dependent'],
    ] as const) {
      const container = role === 'gateway' ? doc.spec.gateway : doc.spec.dependents.find((d) => d.name === service)!;
      expect(field in container, `${service}.${key}`).toBe(true);
      expect(notCarried).not.toContain(`${service}.${key}`);
    }
  });

  it('validates: schema and the kind\'s own checks', async () => {
    const loaded = await loadOutput(output);
    expect(loaded.errors).toEqual([]);
    expect(validateSpec(loaded.resources[0]!.spec as VpnSidecarSpec)).toEqual([]);
  });
});

describe('compose spellings', () => {
  it('resolves merge keys (x- anchors), long port syntax and mapping environment', () => {
    const text = [
      'x-common: &common',
      '  restart: unless-stopped',
      '  environment: { PUID: 1000, TZ: Etc/UTC }',
      'services:',
      '  vpn:',
      '    image: qmcgaw/gluetun:v3.40.0',
      '    ports: [{ target: 8080, published: "8080" }]',
      '  app:',
      '    <<: *common',
      '    image: lscr.io/linuxserver/qbittorrent:latest',
      '    network_mode: service:vpn',
      '',
    ].join('\n');
    const { sidecars } = importText(text)();
    const app = sidecars[0]!.manifest.spec.dependents as Array<Record<string, unknown>>;
    expect(app[0]).toMatchObject({ name: 'app', env: { PUID: '1000', TZ: 'Etc/UTC' } });
    const gateway = sidecars[0]!.manifest.spec.gateway as Record<string, unknown>;
    expect([...((gateway.ports as string[]) ?? []), ...((app[0]!.ports as string[]) ?? [])]).toEqual(['8080:8080']);
  });
});

describe('compose short forms the spec writes out', () => {
  it("a string healthcheck test runs in a shell, a one-number ulimit is both limits", () => {
    const text = [
      'services:',
      '  vpn:',
      '    image: qmcgaw/gluetun:v3.40.0',
      '  app:',
      '    image: lscr.io/linuxserver/qbittorrent:latest',
      '    network_mode: service:vpn',
      '    healthcheck: { test: "curl -f http://127.0.0.1:8080 || exit 1", interval: 30s }',
      '    ulimits: { nproc: 65535, nofile: { soft: 20000, hard: 40000 } }',
      '',
    ].join('\n');
    const { sidecars } = importText(text)();
    const app = (sidecars[0]!.manifest.spec.dependents as Array<Record<string, unknown>>)[0]!;
    expect(app.healthcheck).toEqual({ test: ['CMD-SHELL', 'curl -f http://127.0.0.1:8080 || exit 1'], interval: '30s' });
    expect(app.ulimits).toEqual({ nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 20000, hard: 40000 } });
    expect(sidecars[0]!.notes.filter((n) => n.kind === 'notCarried').map((n) => n.key)).not.toContain('healthcheck');
  });
});

describe('input it cannot import', () => {
  const error = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      if (e instanceof ComposeImportError) return e;
      throw e;
    }
    throw new Error('no error');
  };

  it('not YAML, not compose', () => {
    expect(error(importText('services: [unclosed\n')).message).toMatch(/^compose\.yaml:\d+:\d+: not valid YAML/);
    expect(error(importText('- a\n- b\n')).message).toBe('compose.yaml:1:1: not a compose file: the document is not a mapping');
    expect(error(importText('apiVersion: v1\nkind: Pod\n')).message).toBe('compose.yaml:1:1: not a compose file: no top-level `services:`');
    expect(error(importText('services:\n  web: nginx\n')).message).toBe('compose.yaml:2:3: services.web must be a mapping');
  });

  it('no gateway', () => {
    const e = error(importText('services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n'));
    expect(e.code).toBe('NoGateway');
    expect(e.message).toMatch(/^compose\.yaml:1:1: no service uses `network_mode: service:NAME`/);
  });

  it('a network_mode naming an unknown service or container', () => {
    const text = 'services:\n  vpn:\n    image: qmcgaw/gluetun\n  app:\n    image: busybox\n    network_mode: service:gluetun\n';
    const e = error(importText(text));
    expect(e.code).toBe('UnknownNetworkService');
    expect(e.message).toBe('compose.yaml:6:5: services.app.network_mode: service:gluetun: no service "gluetun" in this file (services: vpn, app)');
    const byContainer = error(importText(text.replace('service:gluetun', 'container:gluetun')));
    expect(byContainer.message).toMatch(/^compose\.yaml:6:5: services\.app\.network_mode: container:gluetun: no service or container_name "gluetun"/);
  });

  it('a gateway or dependent without an image', () => {
    const e = error(importText('services:\n  vpn:\n    build: .\n  app:\n    image: busybox\n    network_mode: service:vpn\n'));
    expect(e.message).toBe('compose.yaml:2:3: services.vpn: no image (build: is not supported: build and tag the image, then name it in image:)');
  });
});
