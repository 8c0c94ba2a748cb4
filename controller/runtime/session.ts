/**
 * A controller session on a state directory, shared by `run` and `apply`: take the directory's lock, open the
 * state store, build the controller; `close()` undoes it in the one safe order (stop the controller, letting
 * running applies finish or abort; close the store; release the lock).
 */
import type { Logger } from 'pino';
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';
import { acquireStateLock } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import { Controller } from './controller.js';
import type { HostPool } from './hosts.js';

export interface SessionOptions {
  manifestsDir: string;
  stateDir: string;
  log: Logger;
  reconcilers: Reconciler<any, any, Change>[];
  resyncMs?: number;
  drainMs?: number;
  watchDrift?: boolean;
  /** Hosts already connecting (oneshot-start.ts); the controller makes its own pool when not given. */
  hosts?: HostPool;
}

export interface ControllerSession {
  store: StateStore;
  controller: Controller;
  close(): Promise<void>;
}

export function openControllerSession(opts: SessionOptions): ControllerSession {
  const lock = acquireStateLock(opts.stateDir);
  let store: StateStore;
  try {
    store = new StateStore(opts.stateDir);
  } catch (err) {
    lock.release();
    throw err;
  }
  const controller = new Controller({
    manifestsDir: opts.manifestsDir,
    stateDir: opts.stateDir,
    store,
    log: opts.log,
    reconcilers: opts.reconcilers,
    ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}),
    ...(opts.drainMs !== undefined ? { drainMs: opts.drainMs } : {}),
    ...(opts.watchDrift !== undefined ? { watchDrift: opts.watchDrift } : {}),
    ...(opts.hosts ? { hosts: opts.hosts } : {}),
  });
  return {
    store,
    controller,
    async close() {
      try {
        await controller.stop();
      } finally {
        store.close();
        lock.release();
      }
    },
  };
}
