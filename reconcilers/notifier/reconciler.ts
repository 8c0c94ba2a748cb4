/**
 * The Notifier reconciler. A Notifier is where alerts go (ntfy, gotify, a webhook); the sending itself is the
 * controller's dispatcher (controller/notify/), which reads the Notifiers in force from the state store. Its
 * reconcile reports what the dispatcher knows: a token file that cannot be used fails the run (retried), a send
 * that fails makes it Degraded/SendFailed, and the dispatcher asks for a reconcile whenever that changes.
 *
 * Its host is `local`, the implicit Host for the machine homeostat runs on: notifications are sent from there,
 * and no host is touched (a Notifier has no `spec.host`).
 */
import type { Reconciler } from '../core/contract.js';
import { observeNotifier, type NotifierObserved } from './observe.js';
import { planNotifier } from './plan.js';
import type { NotifierSpec } from './spec.js';
import { validateNotifierSpec } from './validate.js';

/** The Host a Notifier runs under: this machine (controller/runtime/hosts.ts IMPLICIT_LOCAL). */
export const NOTIFIER_HOST = 'local';

export const notifierReconciler: Reconciler<NotifierSpec, NotifierObserved> = {
  kind: 'Notifier',
  hostOf: () => NOTIFIER_HOST,
  validate: validateNotifierSpec,
  observe: observeNotifier,
  plan: (_spec, observed) => planNotifier(observed),
  async apply() {},
  async finalize() {},
};
