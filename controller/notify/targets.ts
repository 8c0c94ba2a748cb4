/**
 * The Notifiers in force, read from the state store's resource rows (the manifests as accepted: defaults filled
 * in), and which notifications each one wants (pure): its severity (`warning`: Warning occurrences and
 * recoveries; `info`: everything), its `kinds` and `names` filters (`Controller` is the kind of the controller's
 * own conditions), and never anything about itself, so that a Notifier that cannot send does not feed its own
 * queue. A suspended Notifier, or one whose spec does not validate (it is Stalled/InvalidSpec), sends nothing.
 */
import { ANNOTATIONS } from '../../reconcilers/core/resource.js';
import { validateNotifierSpec, type NotifierSpec } from '../../reconcilers/notifier/index.js';
import type { StateStore } from '../state/store.js';
import type { Occurrence } from './notification.js';

export interface NotifierTarget {
  name: string;
  generation: string;
  spec: NotifierSpec;
}

export const NOTIFIER_KIND = 'Notifier';

export function notifierTargets(store: Pick<StateStore, 'listResources'>): NotifierTarget[] {
  return store
    .listResources(NOTIFIER_KIND)
    .filter((row) => row.resource.metadata.annotations[ANNOTATIONS.suspend] !== 'true')
    .map((row) => ({ name: row.name, generation: row.generation, spec: row.resource.spec as NotifierSpec }))
    .filter((target) => validateNotifierSpec(target.spec).length === 0);
}

export function wants(target: NotifierTarget, o: Occurrence): boolean {
  if (o.kind === NOTIFIER_KIND && o.name === target.name) return false;
  if (target.spec.severity === 'warning' && o.type !== 'Warning' && !o.resolves) return false;
  if (target.spec.kinds.length > 0 && !(target.spec.kinds as string[]).includes(o.kind)) return false;
  if (target.spec.names.length > 0 && !target.spec.names.includes(o.name)) return false;
  return true;
}
