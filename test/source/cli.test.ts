/**
 * `diff --git` and `apply --git` through the built CLI, against a bare repository on disk: the fetched commit is
 * planned and applied (and `get` shows its short sha), a commit that does not validate is refused with its errors
 * printed like `validate`'s, a bad flag is an error naming it, and nothing of the throwaway checkout is left.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { BUILT_CLI, runCli } from '../support/built-cli.js';
import { integration } from '../support/integration.js';
import { hostYaml, keepaliveYaml } from './git-lab.js';
import { createUpstream, type Upstream } from './upstream.js';

const cli = integration('built CLI', existsSync(BUILT_CLI), 'needs `npm run build`');

let upstream: Upstream;
let dir: string;
let root: string;
let state: string;
let tmp: string;
beforeEach(() => {
  upstream = createUpstream();
  dir = mkdtempSync(join(tmpdir(), 'homeostat-gitcli-'));
  root = join(dir, 'root');
  state = join(dir, 'state');
  tmp = join(dir, 'tmp');
  for (const d of [join(root, 'etc/cron.d'), join(root, 'mnt/hdd'), tmp]) mkdirSync(d, { recursive: true });
});
afterEach(() => {
  upstream.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const homeostat = (...args: string[]) => runCli(args, { ...process.env, TMPDIR: tmp, HOMEOSTAT_LOG_LEVEL: 'error' }, 60_000);

cli.describe('diff and apply --git', () => {
  cli.it('plan and apply the fetched commit; get shows its short sha', () => {
    const sha = upstream.commit({ 'lab/host.yaml': hostYaml(root), 'lab/hdd.yaml': keepaliveYaml('hdd', '5m') }, 'Lab from git');
    const url = `file://${upstream.bare}`;
    const diff = homeostat('diff', '--git', url, '--path', 'lab', '--state', state);
    expect(diff.stderr).toBe('');
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/~ StorageKeepalive\/hdd \(local\):/);

    const apply = homeostat('apply', '--git', url, '--path', 'lab', '--state', state);
    expect(apply.code, apply.stderr).toBe(0);
    expect(readFileSync(join(root, 'etc/cron.d/homeostat-hdd'), 'utf8')).toContain('*/5 * * * *');
    expect(homeostat('get', 'StorageKeepalive', '--state', state).stdout).toMatch(new RegExp(`^StorageKeepalive\\s+hdd\\s+local\\s+True\\s+\\S+\\s+\\S+\\s+${sha.slice(0, 7)}$`, 'm'));
    expect(homeostat('describe', 'StorageKeepalive/hdd', '--state', state).stdout).toContain(`Revision:     ${sha} (Lab from git)`);
    expect(homeostat('diff', '--git', url, '--path', 'lab', '--state', state).code).toBe(0);
    expect(readdirSync(tmp)).toEqual([]); // the throwaway repositories are gone
  });

  cli.it('refuse a commit that does not validate, a ref that is not there, and a bad flag', () => {
    const bad = upstream.commit({ 'manifests/hdd.yaml': keepaliveYaml('hdd', '1ms') }, 'Too eager');
    const diff = homeostat('diff', '--git', upstream.bare, '--state', state);
    expect(diff.code).toBe(2);
    expect(diff.stderr).toContain(`homeostat: commit ${bad} does not validate:`);
    expect(diff.stderr).toContain('hdd.yaml:7:13 StorageKeepalive/hdd: spec.interval: must be at least 1s');
    const apply = homeostat('apply', '--git', upstream.bare, '--ref', 'nope', '--state', state);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(`homeostat: ref "nope" not found in ${upstream.bare}`);
    const flag = homeostat('diff', '--ref', 'main', '--state', state);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('homeostat: --ref needs --git');
    const secret = homeostat('diff', '--git', 'https://me:s3cr3t-pw@[bad/x.git', '--state', state);
    expect(secret.code).toBe(2);
    expect(secret.stderr + secret.stdout).not.toContain('s3cr3t-pw');
    expect(readdirSync(tmp)).toEqual([]);
  });
});
