/**
 * Notifications: what the daemon starts so that Notifier resources receive events and Ready changes. The
 * daemon calls `startNotifications` once its store and controller exist and `stop()` before it closes them.
 */
import type { Logger } from 'pino';
import type { StateStore } from '../state/store.js';
import { NotificationDispatcher, type DispatcherOptions } from './dispatcher.js';

export { NotificationDispatcher, type DispatcherOptions } from './dispatcher.js';
export type { Notification } from './notification.js';
export { GROUP_WINDOW_MS } from './grouping.js';
export { DEFAULT_RETRY, DEFAULT_QUEUE_CAPACITY, type RetryPolicy } from './outbox.js';

export interface Notifications {
  stop(): void;
}

/** Starts the dispatcher on the daemon's store; a Notifier whose health changes is reconciled through `controller`. */
export function startNotifications(
  opts: { store: StateStore; controller: { reconcileNow(key: string): boolean }; log: Logger } & Partial<Omit<DispatcherOptions, 'store' | 'reconcileNow' | 'log'>>,
): Notifications {
  const { controller, ...rest } = opts;
  const dispatcher = new NotificationDispatcher({ ...rest, reconcileNow: (key) => void controller.reconcileNow(key) });
  return { stop: () => dispatcher.stop() };
}
