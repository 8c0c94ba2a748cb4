/**
 * What went wrong, as data: a `Problem` has a machine-readable `reason` (a PascalCase word from a per-kind union,
 * shown as a condition's reason), the field `path` it is about when there is one (`spec.devices[0].path`), and a
 * message for people. Every kind's validation, tree checks and findings use it; formatting is separate.
 */
import { redact } from './redact.js';

export interface Problem<Reason extends string = string> {
  reason: Reason;
  /** Field path in the spec, e.g. `spec.interval`. */
  path?: string;
  message: string;
}

/** `spec.interval: must be at least 1s`, or the message alone. */
export function formatProblem(problem: Pick<Problem, 'path' | 'message'>): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/** One message for several problems: the first `max`, and how many more. */
export function joinProblems(problems: ReadonlyArray<Pick<Problem, 'path' | 'message'>>, max = 4): string {
  return joinMessages(problems.map(formatProblem), max);
}

/** One message for several messages: the first `max`, and how many more. */
export function joinMessages(messages: readonly string[], max = 4): string {
  const shown = messages.slice(0, max).join('; ');
  return messages.length > max ? `${shown}; and ${messages.length - max} more` : shown;
}

/** The message of any thrown value (an Error's message, else its string form), with known secrets redacted. */
export function errorMessage(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

/** A spec the schema accepts but the kind cannot use: the resource is Stalled/InvalidSpec until the spec changes. */
export function invalidSpec(path: string, message: string): Problem<'InvalidSpec'> {
  return { reason: 'InvalidSpec', path, message };
}
