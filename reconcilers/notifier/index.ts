/**
 * The Notifier kind's public face: the reconciler, the spec checks and token reading the dispatcher shares with
 * it (controller/notify/), and the board through which the dispatcher tells the reconciler how sending goes.
 */
export { notifierReconciler, NOTIFIER_HOST } from './reconciler.js';
export { validateNotifierSpec } from './validate.js';
export { readToken, tokenRef } from './token.js';
export { notifierHealth, NotifierHealthBoard, type NotifierHealth } from './health.js';
export type { NotifierSpec } from './spec.js';
export type { NotifierObserved } from './observe.js';
export type { NotifierDegradedReason } from './reasons.js';
