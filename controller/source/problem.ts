/**
 * What can be wrong with a git source, and the one place its words are made: the `SourceReady` controller
 * condition (True `Applied`; False `FetchFailed`, `RefNotFound`, `InvalidManifests`, `PathNotFound`), always saying
 * which commit stays in force. Pure.
 */
import { redact } from '../../reconcilers/core/redact.js';
import { formatManifestError, type ManifestError } from '../manifests/index.js';
import type { Condition } from '../state/conditions.js';
import type { SourceState } from './types.js';

export type SourceProblemReason = 'FetchFailed' | 'RefNotFound' | 'InvalidManifests' | 'PathNotFound';

export interface SourceProblem {
  reason: SourceProblemReason;
  /** What went wrong, without credentials (git-url.ts keeps them out of every URL git is given). */
  message: string;
  /** The commit the problem is about (a commit that does not validate). */
  commit?: string;
  subject?: string;
  errors?: ManifestError[];
}

export const SOURCE_CONDITION = 'SourceReady';
/** Manifest errors named in the condition's message (the rest are counted). */
const ERRORS_SHOWN = 3;

/** `abc123def456 "Add the media share"`, or `abc123def456`. */
export function describeCommit(commit: string, subject?: string): string {
  return subject ? `${commit.slice(0, 12)} "${subject}"` : commit.slice(0, 12);
}

/** The problem of a commit that cannot be applied, naming it and its first errors. */
export function commitProblem(reason: 'InvalidManifests' | 'PathNotFound', commit: string, subject: string | undefined, errors: ManifestError[]): SourceProblem {
  const shown = errors.slice(0, ERRORS_SHOWN).map(formatManifestError);
  const more = errors.length > ERRORS_SHOWN ? `; and ${errors.length - ERRORS_SHOWN} more` : '';
  const what = reason === 'PathNotFound' ? 'has nothing at the path' : `does not validate (${errors.length} error(s))`;
  return {
    reason,
    message: `commit ${describeCommit(commit, subject)} ${what}: ${shown.join('; ')}${more}`,
    commit,
    ...(subject !== undefined ? { subject } : {}),
    errors,
  };
}

/** What stays in force, in words. */
function inForce(state: SourceState): string {
  return state.appliedCommit
    ? `commit ${describeCommit(state.appliedCommit, state.appliedSubject)} stays in force`
    : 'no commit has been good yet: nothing is applied and nothing is pruned';
}

/** The SourceReady condition for a source's state and its current problem (none: True). */
export function sourceReadyCondition(state: SourceState, problem: SourceProblem | null, now: Date, previous?: Condition): Condition {
  const where = `${state.location} ${state.ref ?? ''}${state.path ? `:${state.path}` : ''}`.trim();
  const next: Omit<Condition, 'lastTransitionTime'> = problem
    ? { type: SOURCE_CONDITION, status: 'False', reason: problem.reason, message: redact(`${problem.message}; ${inForce(state)}`), observedGeneration: null }
    : state.appliedCommit
      ? { type: SOURCE_CONDITION, status: 'True', reason: 'Applied', message: `commit ${describeCommit(state.appliedCommit, state.appliedSubject)} of ${where} is in force`, observedGeneration: null }
      : { type: SOURCE_CONDITION, status: 'Unknown', reason: 'NotFetched', message: `${where} has not been fetched yet`, observedGeneration: null };
  const since = previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  return { ...next, lastTransitionTime: since };
}
