/**
 * The daemon on a git source, in process, on real pieces: an upstream repository (upstream.ts), a sandbox root
 * standing in for `/` of the local Host (cron files appear under it), a state directory, and `startDaemon` with
 * `git` options. Manifests are a Host confined to the root and StorageKeepalive resources in cron mode (a plain
 * folder, no mount), so a run takes milliseconds. `cleanup()` stops the daemon and removes everything.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startDaemon, type Daemon } from '../../controller/runtime/daemon.js';
import type { GitSourceSpec } from '../../controller/source/index.js';
import { listResourceViews, type ResourceView } from '../../controller/status/views.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { allReconcilers } from '../../reconcilers/index.js';
import { waitUntil } from '../support/wait.js';
import { createUpstream, type Upstream } from './upstream.js';

export interface GitLab {
  upstream: Upstream;
  root: string;
  state: string;
  daemon: Daemon | undefined;
  /** Starts the daemon following `spec` (url defaults to the upstream's path, interval to 1 h: tests call refresh). */
  start(spec?: Partial<GitSourceSpec>, log?: Logger): Promise<Daemon>;
  stop(): Promise<void>;
  view(key: string): ResourceView | undefined;
  waitForView(key: string, predicate: (v: ResourceView) => boolean, what: string, timeoutMs?: number): Promise<ResourceView>;
  /** The cron file a keepalive named `name` writes, or null when absent. */
  cron(name: string): string | null;
  cleanup(): Promise<void>;
}

export function hostYaml(root: string): string {
  return ['apiVersion: homeostat.dev/v1alpha1', 'kind: Host', 'metadata:', '  name: local', 'spec:', '  platform: lxc', `  root: ${root}`, ''].join('\n');
}

export function keepaliveYaml(name: string, interval = '5m'): string {
  return [
    'apiVersion: homeostat.dev/v1alpha1',
    'kind: StorageKeepalive',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  path: /mnt/hdd',
    `  interval: ${interval}`,
    '  mode: cron',
    '  requireMountpoint: false',
    '',
  ].join('\n');
}

export const isReady = (v: ResourceView) => v.ready === 'True' && v.observedGeneration === v.generation;

export function createGitLab(): GitLab {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-gitlab-'));
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  for (const d of [join(root, 'etc/cron.d'), join(root, 'mnt/hdd')]) mkdirSync(d, { recursive: true });
  const upstream = createUpstream();
  const lab: GitLab = {
    upstream,
    root,
    state,
    daemon: undefined,
    async start(spec = {}, log = silentLogger) {
      lab.daemon = await startDaemon({
        manifestsDir: join(dir, 'unused'),
        stateDir: state,
        log,
        reconcilers: allReconcilers,
        listen: { host: '127.0.0.1', port: 0 },
        resyncMs: 60_000,
        drainMs: 2_000,
        git: { url: upstream.bare, intervalMs: 3_600_000, minFetchGapMs: 0, ...spec },
      });
      return lab.daemon;
    },
    async stop() {
      await lab.daemon?.stop();
      lab.daemon = undefined;
    },
    view(key) {
      return lab.daemon && listResourceViews(lab.daemon.store).find((v) => `${v.kind}/${v.name}` === key);
    },
    waitForView(key, predicate, what, timeoutMs = 5000) {
      return waitUntil(`${key}: ${what}`, () => {
        const v = lab.view(key);
        return v && predicate(v) ? v : undefined;
      }, timeoutMs);
    },
    cron(name) {
      const file = join(root, 'etc/cron.d', `homeostat-${name}`);
      return existsSync(file) ? readFileSync(file, 'utf8') : null;
    },
    async cleanup() {
      await lab.stop();
      upstream.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}
