/**
 * Installing homeostat as a Proxmox host would: `npm pack` of this checkout, then `npm install -g --offline` of the
 * tarball into an empty prefix with Debian's node and npm: no registry, since the tarball carries the packages the
 * bundle loads at run time (bundleDependencies; better-sqlite3's addon is built by its install script, from source
 * here, since a test may not download the prebuilt one), and the installed `homeostat` run from there: `validate` on manifests/sandbox, and `apply` on a sandbox root
 * seeded as `npm start` seeds it. homeostat's own files in it are the bundle, the systemd unit, the example lab and
 * the README: no tests, sources or source maps.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { SANDBOX_CT_CONF } from '../../controller/cli/sandbox.js';
import { BUILT_CLI } from '../support/built-cli.js';
import { integration } from '../support/integration.js';
import { createSandboxLab, SANDBOX_MANIFESTS, type SandboxLab } from '../sandbox/sandbox-lab.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const packing = integration('npm and root', existsSync('/usr/bin/npm') && existsSync(BUILT_CLI) && process.getuid?.() === 0, 'needs Debian\'s npm, `npm run build`, and root (mknod in the sandbox)');
/** npm install builds better-sqlite3 from source when no prebuilt binary can be fetched: minutes, not seconds. */
const INSTALL_TIMEOUT_MS = 240_000;

let dir: string | undefined;
let lab: SandboxLab | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  lab?.cleanup();
  dir = lab = undefined;
});

const run = (argv: string[], opts: { cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}) => {
  const [cmd, ...args] = argv;
  return spawnSync(cmd!, args, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: opts.timeout ?? 60_000, env: opts.env ?? process.env });
};

packing.describe('the packed package', () => {
  packing.it('installs with npm install -g into an empty prefix and validates and applies the sandbox from there', () => {
    dir = mkdtempSync(join(tmpdir(), 'homeostat-pack-'));
    // --ignore-scripts: `prepare` would rebuild all of dist/ with tsc; the bundle the package ships is fresh (built-cli.ts).
    const pack = run(['npm', 'pack', '--ignore-scripts', '--pack-destination', dir]);
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(files).toContain('package/dist/bin/homeostat.js');
    expect(files).toContain('package/deploy/homeostat.service');
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/manifests/lab/hosts.yaml');
    expect(files.filter((f) => f.startsWith('package/dist/bin/chunks/')).length).toBeGreaterThan(0);
    // homeostat's own files: the bundle, not its sources, tests or maps (the bundled dependencies below are npm's business).
    const own = files.filter((f) => !f.startsWith('package/node_modules/'));
    expect(own.filter((f) => /\.(ts|map)$/.test(f) || f.startsWith('package/test/') || f === 'package/dist/bin/meta.json')).toEqual([]);
    // The packages the bundle loads at run time travel in the tarball (bundleDependencies): the install needs no
    // registry. better-sqlite3 ships its sources, not its built addon (its own package files say so): its install
    // script fetches a prebuilt addon or builds one. Here it builds (no network in a test: build-from-source keeps
    // prebuild-install from trying GitHub), with the compiler CI has.
    for (const name of ['better-sqlite3', 'dockerode', 'pino', 'ssh2']) expect(files).toContain(`package/node_modules/${name}/package.json`);

    const prefix = join(dir, 'prefix');
    const env = { ...process.env, npm_config_build_from_source: 'true' };
    const install = run(['npm', 'install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir, timeout: INSTALL_TIMEOUT_MS, env });
    expect(install.status, install.stderr).toBe(0);
    const homeostat = join(prefix, 'bin', 'homeostat');
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'homeostat', 'deploy', 'homeostat.service'))).toBe(true);

    const validate = run([homeostat, 'validate', '--manifests', SANDBOX_MANIFESTS]);
    expect(validate.stdout).toBe('6 resource(s) valid\n');
    expect(validate.status).toBe(0);

    // apply on a seeded sandbox: everything converges but the VpnSidecar (no Docker engine there): exit 1, saying so.
    lab = createSandboxLab({ dockerSocket: '/nonexistent/homeostat-sandbox/docker.sock' });
    const apply = run([homeostat, 'apply', '--manifests', lab.manifests, '--state', lab.state, '--timeout', '30s']);
    expect(apply.status, apply.stdout + apply.stderr).toBe(1);
    expect(apply.stdout + apply.stderr).toContain('DockerUnreachable');
    expect(readFileSync(lab.real(SANDBOX_CT_CONF), 'utf8')).toContain('lxc.cgroup2.devices.allow: c 10:200 rwm\n');
    expect(existsSync(lab.real('/etc/cron.d/homeostat-hdd-cron'))).toBe(true);
    expect(existsSync(lab.real('/data/media/movies'))).toBe(true);
  }, INSTALL_TIMEOUT_MS + 60_000);
});
