/**
 * The two ways a reconcile fails, each carrying a typed reason, as Flux's `Stalling` and `Generic` errors do:
 * - `StalledError`: needs a human or a spec change; never retried (the resource waits, Stalled=True).
 * - anything else is retried with backoff; its reason is what Ready shows. `RetryableError` names it
 *   (`ContainerNotRunning`, `DockerUnreachable`); any other error with a PascalCase `reason` (e.g. `HostError`)
 *   names its own; the rest is `ReconcileFailed`.
 */

export const GENERIC_FAILURE = 'ReconcileFailed';

/** An error that names the condition reason it is reported under. */
abstract class ReasonedError<Reason extends string> extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Needs a human or a spec change; not retried. `Reason` is the kind's union of stall reasons. */
export class StalledError<Reason extends string = string> extends ReasonedError<Reason> {
  override readonly name = 'StalledError';
}

/** A failure a retry may fix, with the reason Ready shows meanwhile. */
export class RetryableError<Reason extends string = string> extends ReasonedError<Reason> {
  override readonly name = 'RetryableError';
}

export function isStalledError(err: unknown): err is StalledError {
  return err instanceof StalledError;
}

const REASON = /^[A-Z][A-Za-z0-9]*$/;

/** The reason a retryable failure is reported under: the error's own PascalCase `reason`, else `ReconcileFailed`. */
export function failureReason(err: unknown): string {
  const reason = (err as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' && REASON.test(reason) ? reason : GENERIC_FAILURE;
}
