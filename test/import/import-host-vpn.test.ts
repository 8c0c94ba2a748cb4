/**
 * `homeostat import host` on a Host with a Docker engine, end to end with the built CLI: a gateway and two
 * containers in its network stack, made by hand with `docker run --network container:` (what compose's
 * `network_mode: service:X` becomes), are imported as one VpnSidecar; the manifest validates, `diff` right after
 * exits 0, `apply` adopts the containers in place (same ids, no labels, recorded in homeostat's state), a spec
 * change then recreates the one it touches with homeostat's labels, and removing the manifest prunes all three.
 * The engine is the machine's (shared with other tests): only this test's document is kept from the import.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { runCli } from '../support/built-cli.js';
import { DOCKER_SOCKET, TEST_APP_IMAGE, TEST_IMAGE, TEST_LABEL, dockerd, ensureTestImages, freeLoopbackPort, removeTestContainers, testDocker } from '../support/docker.js';

const tag = `import-vpn-${process.pid}`;
const names = { gw: `hs-imp-gw-${process.pid}`, app: `hs-imp-app-${process.pid}`, web: `hs-imp-web-${process.pid}` };
const resource = `lab-${names.gw}`;
const SECRET = `s3cr3t-${process.pid}`;
const env = { ...process.env, HOMEOSTAT_STATE_DIR: '' };
let dir = '';
let port = 0;
/** Anonymous volumes of the containers (the app image has one at /config): homeostat keeps volumes, the test removes them. */
const volumes = new Set<string>();
const lab = () => ({ manifests: join(dir, 'manifests'), state: join(dir, 'state'), secrets: join(dir, 'secrets') });
const cli = (args: string[]) => runCli([...args, '--manifests', lab().manifests, ...(args[0] === 'validate' ? [] : ['--state', lab().state])], env);

function run(name: string, args: string[], image: string, command: string[] = []): string {
  return execFileSync('docker', ['run', '-d', '--label', `${TEST_LABEL}=${tag}`, '--name', name, ...args, image, ...command], { encoding: 'utf8' }).trim();
}
function inspect(name: string): { Id: string; Config: { Labels: Record<string, string> }; Mounts: Array<{ Type: string; Name?: string }> } {
  return JSON.parse(execFileSync('docker', ['inspect', name], { encoding: 'utf8' }))[0];
}

dockerd.describe('homeostat import host: VpnSidecar from running containers', () => {
  beforeAll(async () => {
    ensureTestImages();
    dir = mkdtempSync(join(tmpdir(), 'hs-import-vpn-'));
    for (const d of ['manifests', 'state', 'secrets', 'root', 'data']) mkdirSync(join(dir, d));
    const host = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Host', metadata: { name: 'lab' }, spec: { root: join(dir, 'root'), docker: { socketPath: DOCKER_SOCKET } } };
    writeFileSync(join(lab().manifests, 'host.yaml'), stringify(host));
    port = await freeLoopbackPort();
    run(names.gw, ['--cap-add', 'NET_ADMIN', '--device', '/dev/net/tun', '-p', `127.0.0.1:${port}:8080`, '-e', 'TZ=UTC', '--restart', 'unless-stopped'], TEST_IMAGE);
    run(names.app, ['--network', `container:${names.gw}`, '-v', `${join(dir, 'data')}:/data`, '-e', 'PUID=1000', '-e', `API_TOKEN=${SECRET}`], TEST_APP_IMAGE);
    run(names.web, ['--network', `container:${names.gw}`, '--restart', 'always'], TEST_APP_IMAGE, ['sh', '-c', "trap 'exit 0' TERM; sleep 1000 & wait"]);
  }, 60_000);

  afterAll(async () => {
    await removeTestContainers(testDocker(), { owners: [`VpnSidecar/${resource}`], tag, names: Object.values(names) });
    for (const volume of volumes) await testDocker().getVolume(volume).remove().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  dockerd.it('imports, diff is empty, apply adopts in place; a spec change recreates with labels; pruning removes them', () => {
    const imported = cli(['import', 'host', 'lab']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).not.toContain(SECRET);
    expect(imported.stdout).toContain(`sed -n 's/^API_TOKEN=//p' > /etc/homeostat/secrets/${resource}/API_TOKEN`);
    const docs = parseAllDocuments(imported.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
    const doc = docs.find((d) => d.kind === 'VpnSidecar' && d.metadata.name === resource)!;
    expect(doc.spec).toEqual({
      host: 'lab',
      adopt: true,
      gateway: { name: names.gw, image: TEST_IMAGE, env: { TZ: 'UTC' } },
      dependents: [
        {
          name: names.app,
          image: TEST_APP_IMAGE,
          env: { PUID: '1000' },
          secretEnv: { API_TOKEN: { file: `/etc/homeostat/secrets/${resource}/API_TOKEN` } },
          restart: 'no',
          volumes: [`${join(dir, 'data')}:/data`],
          ports: [`127.0.0.1:${port}:8080`],
        },
        { name: names.web, image: TEST_APP_IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; sleep 1000 & wait"], restart: 'always' },
      ],
    });
    // The user writes the secret file the comment asks for (here under the lab, with the value the container has).
    const secretFile = join(lab().secrets, 'API_TOKEN');
    writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
    (doc.spec.dependents as Array<{ secretEnv?: Record<string, { file: string }> }>)[0]!.secretEnv!.API_TOKEN!.file = secretFile;
    const manifest = join(lab().manifests, 'imported.yaml');
    writeFileSync(manifest, stringify(doc));

    const validate = cli(['validate']);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    const ids = Object.fromEntries(Object.entries(names).map(([k, n]) => [k, inspect(n).Id]));
    const diff = cli(['diff']);
    expect(diff.stdout, diff.stderr).toBe('no changes\n');
    expect(diff.code).toBe(0);

    const apply = cli(['apply', '--timeout', '60s']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    for (const [k, n] of Object.entries(names)) {
      expect(inspect(n).Id).toBe(ids[k]); // adopted as it runs, not recreated
      expect(inspect(n).Config.Labels['dev.homeostat.owner']).toBeUndefined();
    }
    const described = cli(['describe', `VpnSidecar/${resource}`]);
    expect(described.stdout.match(/AdoptedInPlace/g)).toHaveLength(3);
    for (const id of Object.values(ids)) expect(described.stdout).toContain(`container  lab:${id}`);
    expect(cli(['diff']).code).toBe(0);

    // Owned from now on: a changed declaration recreates the container it touches, with homeostat's labels.
    writeFileSync(manifest, stringify(doc).replace('PUID: "1000"', 'PUID: "1001"'));
    const changed = cli(['diff']);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain(`recreate container/${names.app}: recreate ${names.app} (${ids.app!.slice(0, 12)}): env PUID=1001`);
    expect(cli(['apply', '--timeout', '60s']).code).toBe(0);
    expect(inspect(names.app).Id).not.toBe(ids.app);
    expect(inspect(names.app).Config.Labels['dev.homeostat.owner']).toBe(`VpnSidecar/${resource}`);
    expect(inspect(names.gw).Id).toBe(ids.gw);
    expect(cli(['diff']).code).toBe(0);

    // Gone from the manifests: every container it owns is removed, those adopted in place included.
    for (const n of Object.values(names)) for (const m of inspect(n).Mounts) if (m.Type === 'volume' && m.Name) volumes.add(m.Name);
    rmSync(manifest);
    expect(cli(['apply', '--timeout', '60s']).code).toBe(0);
    const left = execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=${TEST_LABEL}=${tag}`], { encoding: 'utf8' }).trim();
    expect(left).toBe('');
  }, 120_000);
});
