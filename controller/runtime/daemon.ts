/**
 * `homeostat run`: the long-running controller. Takes the state-directory lock, opens the state store,
 * watches the manifests, serves HTTP (loopback unless `--allow-remote`; guarded by the API token it creates in
 * the state directory at its first start), and on SIGINT/SIGTERM shuts down in order: stop taking
 * manifest changes, let running applies finish (or abort them after the drain time; every write is atomic,
 * so an abort never leaves a half-written file), close hosts, the store and the lock.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';
import { formatRevision } from '../../reconcilers/core/resource.js';
import { assertListenAllowed, ensureApiToken, startHttp, type HttpEndpoint, type HttpListen } from '../http/index.js';
import { formatManifestError, type ManifestError } from '../manifests/index.js';
import { prescanHosts } from '../manifests/host-prescan.js';
import { startNotifications } from '../notify/index.js';
import type { Condition } from '../state/conditions.js';
import type { StateStore } from '../state/store.js';
import type { Controller } from './controller.js';
import { openControllerSession } from './session.js';
import { manifestsDirOf, openManifestFeed, type GitSourceSpec, type SourceControl } from '../source/index.js';

export interface DaemonOptions {
  manifestsDir: string;
  stateDir: string;
  log: Logger;
  reconcilers: Reconciler<any, any, Change>[];
  /** The HTTP endpoint; a non-loopback host needs `allowRemote` (refused before anything runs). */
  listen: HttpListen;
  resyncMs?: number;
  drainMs?: number;
  /** `run --git URL …`: manifests from a git repository (controller/source/) instead of `manifestsDir`. */
  git?: GitSourceSpec;
  /** The bundled build's identity: a restart reuses what this build parsed before (controller/manifests/parse-cache.ts). */
  parserId?: string;
}

export interface Daemon {
  controller: Controller;
  store: StateStore;
  http: HttpEndpoint;
  /** Where the manifests come from (a directory or a git source): its state, and a fetch now. */
  source: SourceControl;
  /** Resolves after a clean shutdown. */
  stop(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { log } = opts;
  assertListenAllowed(opts.listen);
  const session = openControllerSession({ ...opts, manifestsDir: manifestsDirOf(opts) });
  const { store, controller } = session;
  // Notifier resources hear events and Ready changes from here on (controller/notify/).
  const notifications = startNotifications({ store, controller, log });
  let ready = false;
  const source = openManifestFeed({ ...opts, log, store });
  const reportErrors = (errors: readonly ManifestError[]) => {
    for (const e of errors) {
      log.error({ file: e.file, line: e.line }, formatManifestError(e));
      // The resource the error is about shows it in `describe` (its last good spec stays in force meanwhile).
      const ref = e.ref?.split('/');
      if (ref?.length === 2 && store.getResource(ref[0]!, ref[1]!)) store.recordEvent(ref[0]!, ref[1]!, 'Warning', 'InvalidManifest', formatManifestError(e));
    }
    const condition: Condition = {
      type: 'ManifestsValid',
      status: errors.length === 0 ? 'True' : 'False',
      reason: errors.length === 0 ? 'Valid' : 'InvalidManifests',
      message: errors.map(formatManifestError).join('\n'),
      observedGeneration: null,
      lastTransitionTime: new Date().toISOString(),
    };
    store.putControllerCondition(condition);
  };

  let chain = Promise.resolve();
  source.onSnapshot((snapshot) => {
    chain = chain
      .then(async () => {
        reportErrors(snapshot.errors);
        log.info({ resources: snapshot.resources.size, revision: formatRevision(snapshot.revision) }, 'manifests changed');
        await controller.accept(snapshot);
      })
      .catch((err: unknown) => log.error({ err }, 'applying a manifest snapshot failed'));
  });
  let http: HttpEndpoint | undefined;
  try {
    const token = ensureApiToken(opts.stateDir);
    // The Hosts start connecting now and the handshakes overlap the parse (a git source's hosts wait for its fetch).
    if (!opts.git) await controller.prewarmHosts(await prescanHosts(opts.manifestsDir));
    // null: a git source with no good commit yet; nothing is accepted, so nothing recorded earlier is pruned.
    const first = await source.start();
    if (first) {
      reportErrors(first.errors);
      await controller.accept(first);
    }
    http = await startHttp(
      {
        store,
        isReady: () => ready,
        reconcileNow: (key) => controller.reconcileNow(key),
        confirmPrune: () => controller.confirmPrune(),
        source: source.control,
      },
      opts.listen,
      token,
    );
  } catch (err) {
    await source.close();
    notifications.stop();
    await session.close();
    throw err;
  }
  const daemonFile = join(opts.stateDir, 'daemon.json');
  writeFileSync(daemonFile, JSON.stringify({ pid: process.pid, url: http.url }) + '\n', { mode: 0o600 });
  ready = true;
  log.info({ url: http.url, manifests: opts.git ? source.control.state().location : opts.manifestsDir, state: opts.stateDir }, 'homeostat controller running');

  let stopping: Promise<void> | undefined;
  const endpoint = http;
  return {
    controller,
    store,
    http: endpoint,
    source: source.control,
    stop() {
      stopping ??= (async () => {
        ready = false;
        await source.close();
        await chain;
        await endpoint.close();
        rmSync(daemonFile, { force: true });
        notifications.stop();
        await session.close();
        log.info('homeostat controller stopped');
      })();
      return stopping;
    },
  };
}

/** Runs until SIGINT/SIGTERM, then shuts down cleanly and resolves. */
export async function runUntilSignalled(opts: DaemonOptions): Promise<void> {
  const daemon = await startDaemon(opts);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      opts.log.info({ signal }, 'shutting down');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      daemon.stop().then(resolve, (err: unknown) => {
        opts.log.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
