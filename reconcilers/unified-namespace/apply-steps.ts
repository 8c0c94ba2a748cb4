/**
 * Which of a plan's changes may run at once. Over SSH every folder operation is a round trip, and the remote
 * helper answers everything sent in one tick together: folders of one depth created at once cost one round trip
 * per step, not one per folder (the seed's 19-folder `/data` tree took ~40 sequential round trips). Only changes
 * that cannot depend on each other share a step: creates of consecutive plan entries at the same depth (their
 * parents are older, created in an earlier step or already there), and consecutive owner/mode fixes of distinct
 * folders. Everything else (removals children first, share edits, records) keeps its own step, in plan order.
 */
import { depthOf } from './layout.js';
import type { UnifiedNamespaceChange } from './model.js';

export function applySteps(changes: readonly UnifiedNamespaceChange[]): UnifiedNamespaceChange[][] {
  const steps: UnifiedNamespaceChange[][] = [];
  let paths = new Set<string>();
  for (const change of changes) {
    const step = steps.at(-1);
    const last = step?.at(-1);
    if (step && last && joins(last, change) && !paths.has(pathOf(change)!)) {
      step.push(change);
    } else {
      steps.push([change]);
      paths = new Set();
    }
    const path = pathOf(change);
    if (path !== undefined) paths.add(path);
  }
  return steps;
}

function pathOf(change: UnifiedNamespaceChange): string | undefined {
  return change.action === 'create' || change.action === 'chown' || change.action === 'chmod' ? change.path : undefined;
}

function joins(last: UnifiedNamespaceChange, next: UnifiedNamespaceChange): boolean {
  if (last.action === 'create' && next.action === 'create') return depthOf(last.path) === depthOf(next.path);
  const fix = (c: UnifiedNamespaceChange) => c.action === 'chown' || c.action === 'chmod';
  return fix(last) && fix(next);
}
