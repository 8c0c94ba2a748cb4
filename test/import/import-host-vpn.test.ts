/**
 * `homeostat import host` on a Host with a Docker engine, end to end with the built CLI: a gateway and two
 * containers in its network stack, made by hand with `docker run --network container:` (what compose's
 * `network_mode: service:X` becomes), are imported as one VpnSidecar; the manifest validates, `diff` right after
 * exits 0 and notes each container it would adopt in place, `apply` adopts them (same ids, no labels, recorded in
 * homeostat's state), a spec change then recreates the one it touches with homeostat's labels, and removing the
 * manifest prunes all three. The same through an SSH Host whose Docker endpoint is the engine's socket forwarded
 * over the Host's connection (a loopback sshd in front of this machine's engine).
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
import { integration } from '../support/integration.js';
import { sshdAvailable, sshLoginOf, startSshd, type TestSshd } from '../support/sshd.js';

const SECRET = `s3cr3t-${process.pid}`;
const env = { ...process.env, HOMEOSTAT_STATE_DIR: '' };

/** One lab: a folder (manifests, state, secrets, sandbox root, data) and the three containers made by hand in it. */
interface Lab {
  tag: string;
  names: { gw: string; app: string; web: string };
  /** The VpnSidecar the import names after the gateway. */
  resource: string;
  dir: string;
  port: number;
  /** Anonymous volumes of the containers (the app image has one at /config): homeostat keeps volumes, the test removes them. */
  volumes: Set<string>;
}

/** A lab whose containers are named `hs-imp-<prefix>-<role>-<pid>`; nothing is started yet. */
function newLab(prefix: string): Lab {
  const names = { gw: `hs-imp-${prefix}gw-${process.pid}`, app: `hs-imp-${prefix}app-${process.pid}`, web: `hs-imp-${prefix}web-${process.pid}` };
  const dir = mkdtempSync(join(tmpdir(), 'hs-import-vpn-'));
  for (const d of ['manifests', 'state', 'secrets', 'root', 'data']) mkdirSync(join(dir, d));
  return { tag: `import-vpn-${prefix}${process.pid}`, names, resource: `lab-${names.gw}`, dir, port: 0, volumes: new Set() };
}

const paths = (lab: Lab) => ({ manifests: join(lab.dir, 'manifests'), state: join(lab.dir, 'state'), secrets: join(lab.dir, 'secrets') });

/** The Host `lab` (a sandbox root, the engine's socket, and `extra`: e.g. `ssh`), and the containers as a person ran them. */
async function seed(lab: Lab, extra: object = {}): Promise<void> {
  const host = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Host', metadata: { name: 'lab' }, spec: { root: join(lab.dir, 'root'), docker: { socketPath: DOCKER_SOCKET }, ...extra } };
  writeFileSync(join(paths(lab).manifests, 'host.yaml'), stringify(host));
  lab.port = await freeLoopbackPort();
  const { gw, app, web } = lab.names;
  run(lab, gw, ['--cap-add', 'NET_ADMIN', '--device', '/dev/net/tun', '-p', `127.0.0.1:${lab.port}:8080`, '-e', 'TZ=UTC', '--restart', 'unless-stopped'], TEST_IMAGE);
  run(lab, app, ['--network', `container:${gw}`, '-v', `${join(lab.dir, 'data')}:/data`, '-e', 'PUID=1000', '-e', `API_TOKEN=${SECRET}`], TEST_APP_IMAGE);
  run(lab, web, ['--network', `container:${gw}`, '--restart', 'always'], TEST_APP_IMAGE, ['sh', '-c', "trap 'exit 0' TERM; sleep 1000 & wait"]);
}

/** Every container of the lab (by id: found by its label, name or owner) with its anonymous volumes, then the folder. */
async function cleanup(lab: Lab): Promise<void> {
  await removeTestContainers(testDocker(), { owners: [`VpnSidecar/${lab.resource}`], tag: lab.tag, names: Object.values(lab.names) });
  for (const volume of lab.volumes) await testDocker().getVolume(volume).remove().catch(() => undefined);
  rmSync(lab.dir, { recursive: true, force: true });
}

function run(lab: Lab, name: string, args: string[], image: string, command: string[] = []): string {
  return execFileSync('docker', ['run', '-d', '--label', `${TEST_LABEL}=${lab.tag}`, '--name', name, ...args, image, ...command], { encoding: 'utf8' }).trim();
}
function inspect(name: string): { Id: string; Config: { Labels: Record<string, string> }; Mounts: Array<{ Type: string; Name?: string }> } {
  return JSON.parse(execFileSync('docker', ['inspect', name], { encoding: 'utf8' }))[0];
}

/** The whole story on one lab: import, validate, diff (notes only), apply adopts in place, a spec change recreates, pruning removes. */
function importAdoptRecreatePrune(lab: Lab): void {
  const { names, resource } = lab;
  const cli = (args: string[]) => runCli([...args, '--manifests', paths(lab).manifests, ...(args[0] === 'validate' ? [] : ['--state', paths(lab).state])], env);

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
        volumes: [`${join(lab.dir, 'data')}:/data`],
        ports: [`127.0.0.1:${lab.port}:8080`],
      },
      { name: names.web, image: TEST_APP_IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; sleep 1000 & wait"], restart: 'always' },
    ],
  });
  // The user writes the secret file the comment asks for (here under the lab, with the value the container has).
  const secretFile = join(paths(lab).secrets, 'API_TOKEN');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  (doc.spec.dependents as Array<{ secretEnv?: Record<string, { file: string }> }>)[0]!.secretEnv!.API_TOKEN!.file = secretFile;
  const manifest = join(paths(lab).manifests, 'imported.yaml');
  writeFileSync(manifest, stringify(doc));

  const validate = cli(['validate']);
  expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  const ids = Object.fromEntries(Object.entries(names).map(([k, n]) => [k, inspect(n).Id]));
  // No change: one note per container apply will adopt in place, and still "no changes", exit 0.
  const diff = cli(['diff']);
  const note = (name: string, id: string) => `  VpnSidecar/${resource} (lab): note: adopt container ${name} (${id.slice(0, 12)}) in place: it matches its declaration\n`;
  expect(diff.stdout, diff.stderr).toBe([note(names.gw, ids.gw!), note(names.app, ids.app!), note(names.web, ids.web!)].join('') + 'no changes\n');
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
  // Adopted: owned now, nothing left to note.
  const settled = cli(['diff']);
  expect(settled.stdout, settled.stderr).toBe('no changes\n');
  expect(settled.code).toBe(0);

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
  for (const n of Object.values(names)) for (const m of inspect(n).Mounts) if (m.Type === 'volume' && m.Name) lab.volumes.add(m.Name);
  rmSync(manifest);
  expect(cli(['apply', '--timeout', '60s']).code).toBe(0);
  const left = execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=${TEST_LABEL}=${lab.tag}`], { encoding: 'utf8' }).trim();
  expect(left).toBe('');
}

dockerd.describe('homeostat import host: VpnSidecar from running containers', () => {
  let lab: Lab | undefined;
  beforeAll(async () => {
    ensureTestImages();
    lab = newLab('');
    await seed(lab);
  }, 60_000);
  afterAll(async () => {
    if (lab) await cleanup(lab);
  });

  dockerd.it('imports, diff notes the adoptions and is empty, apply adopts in place; a spec change recreates with labels; pruning removes them', () => {
    importAdoptRecreatePrune(lab!);
  }, 120_000);
});

const overSsh = integration('sshd + dockerd', dockerd.available && sshdAvailable(), 'needs openssh-server and root as well');

overSsh.describe('homeostat import host: VpnSidecar through an SSH Host (the engine socket forwarded over its connection)', () => {
  let server: TestSshd | undefined;
  let lab: Lab | undefined;
  beforeAll(async () => {
    ensureTestImages();
    server = await startSshd();
    lab = newLab('ssh-');
    await seed(lab, { ssh: sshLoginOf(server) });
  }, 60_000);
  afterAll(async () => {
    if (lab) await cleanup(lab);
    await server?.stop();
  });

  overSsh.it('the same: nothing secret printed, diff notes only, adopted in place, then recreated with labels, pruned', () => {
    importAdoptRecreatePrune(lab!);
  }, 120_000);
});
