/**
 * The controller on real pieces, in process, for tests of its glue: a temp folder holding a sandbox root (`root`)
 * and a SQLite state store, and a Controller on them with the reconcilers a test gives (silent logs). Call
 * `useControllerLab(prefix)` at the top of a test file: each test gets a fresh lab; after it the controller is
 * stopped, the store closed and the folder removed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { Controller, type SettledRun } from '../../controller/runtime/controller.js';
import { StateStore } from '../../controller/state/store.js';
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';
import { silentLogger } from '../../reconcilers/core/log.js';

export interface ControllerLab {
  /** The temp folder, also the manifests directory; `root/` and `state/` are in it. */
  readonly dir: string;
  /** A sandbox root for a Host resource (`{ root }`). */
  readonly root: string;
  readonly stateDir: string;
  readonly store: StateStore;
  /** The test's Controller on this lab, and every run it settles, in order. */
  start(reconcilers: Reconciler<any, any, Change>[], opts?: { backoffBaseMs?: number }): { controller: Controller; runs: SettledRun[] };
}

export function useControllerLab(prefix: string): ControllerLab {
  let current: { dir: string; root: string; stateDir: string; store: StateStore } | undefined;
  let controller: Controller | undefined;
  const now = () => {
    if (!current) throw new Error('the controller lab exists only while a test runs');
    return current;
  };
  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const root = join(dir, 'root');
    mkdirSync(root);
    const stateDir = join(dir, 'state');
    current = { dir, root, stateDir, store: new StateStore(stateDir) };
  });
  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    if (!current) return;
    current.store.close();
    rmSync(current.dir, { recursive: true, force: true });
    current = undefined;
  });
  return {
    get dir() {
      return now().dir;
    },
    get root() {
      return now().root;
    },
    get stateDir() {
      return now().stateDir;
    },
    get store() {
      return now().store;
    },
    start(reconcilers, opts = {}) {
      const { dir, stateDir, store } = now();
      controller = new Controller({ manifestsDir: dir, stateDir, store, log: silentLogger, reconcilers, backoffBaseMs: opts.backoffBaseMs ?? 50 });
      const runs: SettledRun[] = [];
      controller.onSettled((run) => runs.push(run));
      return { controller, runs };
    },
  };
}
