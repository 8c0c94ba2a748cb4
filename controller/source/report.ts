/**
 * Writes a git source's `SourceReady` controller condition into the state store whenever it changes (after each
 * fetch; an unchanged condition is not written again), so `homeostat get`'s API, the status page and `describe`
 * of the controller read it where they read `ManifestsValid` and `PruneHeld`.
 */
import type { StateStore } from '../state/store.js';
import type { GitSource } from './git-source.js';
import { SOURCE_CONDITION, sourceReadyCondition } from './problem.js';

/** Keeps the store's SourceReady condition in line with `source`; returns the unsubscribe. */
export function reportSourceCondition(source: GitSource, store: StateStore): () => void {
  let written = '';
  return source.onChange((state, problem) => {
    const previous = store.listControllerConditions().find((c) => c.type === SOURCE_CONDITION);
    const condition = sourceReadyCondition(state, problem, new Date(), previous);
    const key = `${condition.status}\n${condition.reason}\n${condition.message}`;
    if (key === written) return;
    written = key;
    store.putControllerCondition(condition);
  });
}
