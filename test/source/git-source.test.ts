/**
 * GitSource on its own, against a real bare repository: what a commit is materialised as (regular files only:
 * a symlink in the repository is never followed), a missing path and an over-limit commit kept out, one checkout
 * on disk behind an atomically switched `current`, concurrent refreshes sharing fetches, a fetch that hangs killed
 * at its deadline (with what it started), and the fetch metrics on the shared registry.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitSource, type GitSourceOptions } from '../../controller/source/index.js';
import { metricsRegistry } from '../../reconcilers/core/metrics.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { hostYaml, keepaliveYaml } from './git-lab.js';
import { createUpstream, type Upstream } from './upstream.js';

let upstream: Upstream;
let state: string;
const sources: GitSource[] = [];

beforeEach(() => {
  upstream = createUpstream();
  state = mkdtempSync(join(tmpdir(), 'homeostat-gitsource-'));
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
  upstream.cleanup();
  rmSync(state, { recursive: true, force: true });
});

function source(opts: Partial<GitSourceOptions> = {}): GitSource {
  const s = new GitSource({ url: upstream.bare, stateDir: state, log: silentLogger, intervalMs: 3_600_000, minFetchGapMs: 0, ...opts });
  sources.push(s);
  return s;
}

async function fetchCount(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('homeostat_source_fetch_duration_seconds')!.get();
  const values = metric.values as Array<{ value: number; metricName?: string }>;
  return values.filter((v) => v.metricName === 'homeostat_source_fetch_duration_seconds_count').reduce((sum, v) => sum + v.value, 0);
}

const base = () => ({ 'manifests/host.yaml': hostYaml('/nonexistent-root'), 'manifests/a.yaml': keepaliveYaml('a') });

describe('GitSource', () => {
  it('writes regular files only, keeps one checkout behind `current`, and stamps the snapshot with the commit', async () => {
    upstream.commit(base(), 'Base');
    // A symlink to a file outside the repository, named like a manifest: never written, never read.
    symlinkSync('/etc/passwd', join(upstream.work, 'manifests/passwd.yaml'));
    const sha = upstream.commit({ 'manifests/notes.txt': 'not a manifest\n', 'manifests/.hidden/x.yaml': 'kind: Nope\n' }, 'Symlink and friends');
    const s = source();
    const snapshot = await s.start();
    expect(snapshot?.revision).toEqual({ commit: sha, dirty: false, subject: 'Symlink and friends' });
    expect([...snapshot!.resources.keys()].sort()).toEqual(['Host/local', 'StorageKeepalive/a']);
    expect(snapshot!.errors).toEqual([]);
    const checkout = join(s.layout.checkouts, sha);
    expect(readlinkSync(s.manifestsDir)).toBe(join('checkouts', sha));
    expect(readdirSync(checkout).sort()).toEqual(['a.yaml', 'host.yaml', 'notes.txt']);
    expect(readFileSync(join(checkout, 'notes.txt'), 'utf8')).toBe('not a manifest\n');

    const next = upstream.commit({ 'manifests/b.yaml': keepaliveYaml('b') }, 'Add b');
    const seen: string[] = [];
    s.onSnapshot((snap) => seen.push(snap.revision.commit!));
    await s.refresh();
    expect(seen).toEqual([next]);
    expect(readdirSync(s.layout.checkouts)).toEqual([next]);
    expect(readlinkSync(s.manifestsDir)).toBe(join('checkouts', next));
  });

  it('a path the commit does not have, or a commit over the limits, is not applied', async () => {
    const first = upstream.commit(base(), 'Base');
    const missing = source({ path: 'elsewhere' });
    expect(await missing.start()).toBeNull();
    expect(missing.problem()).toMatchObject({ reason: 'PathNotFound', commit: first });
    expect(missing.problem()!.message).toContain('"elsewhere" is not a folder in this commit');

    const limited = source({ limits: { maxFiles: 2 } });
    expect((await limited.start())?.revision.commit).toBe(first);
    const crowded = upstream.commit({ 'manifests/b.yaml': keepaliveYaml('b') }, 'Three files');
    const after = await limited.refresh();
    expect(after).toMatchObject({ appliedCommit: first, fetchedCommit: crowded });
    expect(limited.problem()).toMatchObject({ reason: 'InvalidManifests', commit: crowded });
    expect(limited.problem()!.errors![0]).toMatchObject({ code: 'TooMany' });
    expect(existsSync(join(limited.layout.checkouts, crowded))).toBe(false);
  });

  it('shares fetches between concurrent refreshes: one running, at most one more after it', async () => {
    upstream.commit(base(), 'Base');
    const s = source();
    await s.start();
    const before = await fetchCount();
    const states = await Promise.all(Array.from({ length: 8 }, () => s.refresh()));
    expect(states.every((st) => st.lastFetchResult === 'ok')).toBe(true);
    expect((await fetchCount()) - before).toBe(2);
  });

  it('kills a fetch that hangs at its deadline, with the ssh it started', async () => {
    // A server that accepts and never says a word: ssh would wait for its banner.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const s = source({ url: `ssh://nobody@127.0.0.1:${port}/lab.git`, fetchTimeoutMs: 700 });
      const started = Date.now();
      expect(await s.start()).toBeNull();
      expect(Date.now() - started).toBeLessThan(10_000); // without the deadline git waits on ssh as long as the server is silent
      expect(s.state().lastFetchError).toMatch(/did not finish within 700 ms/);
      const lingering = readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`-p\u0000${port}`);
          } catch {
            return false;
          }
        });
      expect(lingering).toEqual([]);
    } finally {
      silent.close();
    }
  });

  it('reports the last fetch on /metrics', async () => {
    upstream.commit(base(), 'Base');
    const s = source();
    await s.start();
    let text = await metricsRegistry.metrics();
    expect(text).toMatch(/^homeostat_source_last_fetch_success 1$/m);
    const at = Number(/^homeostat_source_last_fetch_timestamp_seconds (\S+)$/m.exec(text)![1]);
    expect(Math.abs(at - Date.now() / 1000)).toBeLessThan(60);
    rmSync(upstream.bare, { recursive: true, force: true });
    await s.refresh();
    text = await metricsRegistry.metrics();
    expect(text).toMatch(/^homeostat_source_last_fetch_success 0$/m);
    expect(text).toMatch(/^homeostat_source_fetch_duration_seconds_count\{result="failed"\} [1-9]/m);
  });
});
