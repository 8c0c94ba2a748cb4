/**
 * What the built CLI loads at start-up (the bundle and its per-command chunks, controller/cli/bundle.mjs):
 * `--help` and `explain` nothing from node_modules, `validate` nothing either (no SSH, Docker or SQLite), `get` only
 * SQLite; and `validate`, on standalone validators generated at build, still says for each mistake its file, line,
 * column and field. How fast that is, is measured in bench/cli-startup.ts, not here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { StateStore } from '../../controller/state/store.js';
import { integration } from '../support/integration.js';
import { BUILT_CLI } from '../support/built-cli.js';
import { BROKEN_MANIFEST, BROKEN_MANIFEST_ERRORS, BROKEN_MANIFEST_LINES } from '../manifests/broken-manifest.js';

const built = integration('built CLI', existsSync(BUILT_CLI), 'run `npm run build` first (npm test does)');
const MODULE_LOG = fileURLToPath(new URL('./module-log.mjs', import.meta.url));
const SANDBOX = fileURLToPath(new URL('../../manifests/sandbox', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-cli-startup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the built CLI; `packages` are the node_modules packages it loaded (ES modules and CommonJS alike). */
function homeostat(...args: string[]) {
  const log = join(dir, `modules-${args[0]}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', MODULE_LOG, BUILT_CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HOMEOSTAT_MODULE_LOG: log },
  });
  const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const packages = new Set(loaded.flatMap((m) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1] ?? []));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded, packages: [...packages].sort() };
}

built.describe('the built CLI at start-up', () => {
  it('--help and explain load no package from node_modules', () => {
    const help = homeostat('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('validate');
    expect(help.loaded.some((m) => m.includes('/dist/bin/homeostat.js')), 'the log sees the CLI itself').toBe(true);
    expect(help.packages).toEqual([]);
    const explain = homeostat('explain', 'StorageKeepalive.spec.interval');
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('RANGE:    1s .. 24h');
    expect(explain.packages).toEqual([]);
  });

  it('validate loads no package from node_modules (no ssh2, dockerode, better-sqlite3), and get only better-sqlite3', () => {
    const validate = homeostat('validate', '--manifests', SANDBOX);
    expect(validate.stdout).toBe('6 resource(s) valid\n');
    expect(validate.packages).toEqual([]);

    const state = join(dir, 'state');
    new StateStore(state).close();
    const get = homeostat('get', '--state', state);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('KIND');
    expect(get.packages.filter((p) => !['bindings', 'file-uri-to-path'].includes(p))).toEqual(['better-sqlite3']);
  });

  it('validate reports each mistake of a broken manifest with its file, line, column and field', () => {
    const manifests = join(dir, 'manifests');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'broken.yaml'), BROKEN_MANIFEST);
    const r = homeostat('validate', '--manifests', manifests);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(BROKEN_MANIFEST_ERRORS);
    for (const line of BROKEN_MANIFEST_LINES) expect(lines).toContain(line);
    expect(r.packages).toEqual([]);
  });
});
