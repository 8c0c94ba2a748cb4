/**
 * The reconcile machine (xstate v5): one actor per resource, living as long as the resource does.
 *
 *   idle ─RECONCILE→ running[validating → observing → planning → (applying → confirming)? → verifying] → ready
 *   errors → failed (the work queue schedules the retry with backoff) · StalledError/invalid spec → stalled,
 *   which ignores RECONCILE until the generation changes (or a forced reconcile) · SUSPEND/RESUME ·
 *   DELETE (from anywhere, aborting a run in flight) → finalizing → deleted.
 *
 * Every side effect is a named actor (`observe`, `apply`, `verify`, `finalize`) that receives the AbortSignal
 * fromPromise gives it, combined with the controller's shutdown signal, and passes it on to I/O; tests swap
 * them with `.provide()`. Planning is pure and done in an action. After an apply the machine observes again
 * and requires an empty plan (`confirming`): a reconciler that does not converge fails loudly instead of
 * flapping. Scheduling (when to retry, resync) belongs to the work queue, not to timers in here.
 */
import { assign, fromPromise, setup } from 'xstate';
import type { Change, Plan, ReconcileContext, ReportedCondition, Reconciler } from './contract.js';
import { isStalledError } from './contract.js';

/** Everything one run needs, built fresh by the controller for each RECONCILE (level-based). */
export interface RunEnv {
  reconciler: Reconciler<any, any, Change>;
  ctx: ReconcileContext<any>;
}

export type RunOutcome =
  | {
      result: 'converged';
      generation: string;
      applied: Change[];
      degraded?: ReportedCondition;
      requeueAfterMs?: number;
    }
  | { result: 'failed'; generation: string; reason: string; message: string; error: unknown }
  | { result: 'stalled'; generation: string; reason: string; message: string }
  | { result: 'finalized' }
  | { result: 'finalizeFailed'; message: string; error: unknown };

export interface ReconcileMachineContext {
  key: string;
  env: RunEnv | null;
  observed: unknown;
  plan: Plan | null;
  planError: unknown;
  stalledGeneration: string | null;
  outcome: RunOutcome | null;
}

export type ReconcileEvent =
  | { type: 'RECONCILE'; env: RunEnv; force?: boolean }
  | { type: 'DELETE'; env: RunEnv }
  | { type: 'SUSPEND' }
  | { type: 'RESUME' };

function signalFor(env: RunEnv, actorSignal: AbortSignal): ReconcileContext<any> {
  return { ...env.ctx, signal: AbortSignal.any([env.ctx.signal, actorSignal]) };
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function planInputOf(env: RunEnv) {
  const { ctx } = env;
  return { name: ctx.resource.metadata.name, now: ctx.now, inventory: ctx.inventory, memo: ctx.memo };
}

/** An effect's error: a StalledError stalls (waits for a human), anything else fails (the queue retries it). */
const FAIL = [
  { guard: 'errorIsStalled', target: '#reconcile.stalled', actions: 'failWith' },
  { target: '#reconcile.failed', actions: 'failWith' },
] as const;

export const reconcileMachine = setup({
  types: {
    context: {} as ReconcileMachineContext,
    events: {} as ReconcileEvent,
    input: {} as { key: string },
  },
  actors: {
    observe: fromPromise<unknown, RunEnv>(async ({ input, signal }) =>
      input.reconciler.observe(signalFor(input, signal)),
    ),
    apply: fromPromise<void, { env: RunEnv; changes: Change[]; observed: unknown }>(async ({ input, signal }) =>
      input.env.reconciler.apply(input.changes, input.observed, signalFor(input.env, signal)),
    ),
    verify: fromPromise<{ degraded?: ReportedCondition }, { env: RunEnv; observed: unknown }>(async ({ input, signal }) =>
      input.env.reconciler.verify ? input.env.reconciler.verify(input.observed, signalFor(input.env, signal)) : {},
    ),
    finalize: fromPromise<void, RunEnv>(async ({ input, signal }) => input.reconciler.finalize(signalFor(input, signal))),
  },
  guards: {
    mayLeaveStall: ({ context, event }) =>
      event.type === 'RECONCILE' && (event.force === true || event.env.ctx.resource.generation !== context.stalledGeneration),
    specInvalid: ({ context }) => invalidProblems(context.env!).length > 0,
    planFailed: ({ context }) => context.planError !== null,
    planFailedStalled: ({ context }) => isStalledError(context.planError),
    errorIsStalled: ({ event }) => isStalledError((event as { error?: unknown }).error),
    hasChanges: ({ context }) => (context.plan?.changes.length ?? 0) > 0,
  },
  actions: {
    takeEnv: assign({
      env: ({ event }) => ('env' in event ? event.env : null),
      observed: null,
      plan: null,
      planError: null,
      outcome: null,
    }),
    planFromObserved: assign(({ context, event }) => {
      const observed = (event as { output?: unknown }).output;
      const env = context.env!;
      try {
        return { observed, plan: env.reconciler.plan(env.ctx.resource.spec, observed, planInputOf(env)), planError: null };
      } catch (err) {
        return { observed, plan: null, planError: err };
      }
    }),
    failWith: assign(({ context, event }) => {
      const error = (event as { error?: unknown }).error ?? context.planError;
      const generation = context.env!.ctx.resource.generation;
      if (isStalledError(error)) {
        return {
          stalledGeneration: generation,
          outcome: { result: 'stalled', generation, reason: error.reason, message: error.message } as RunOutcome,
        };
      }
      return {
        outcome: { result: 'failed', generation, reason: 'ReconcileFailed', message: describeError(error), error } as RunOutcome,
      };
    }),
    stallInvalid: assign(({ context }) => {
      const generation = context.env!.ctx.resource.generation;
      const message = invalidProblems(context.env!)
        .map((p) => `${p.path}: ${p.message}`)
        .join('; ');
      return { stalledGeneration: generation, outcome: { result: 'stalled', generation, reason: 'InvalidSpec', message } as RunOutcome };
    }),
  },
}).createMachine({
  id: 'reconcile',
  context: ({ input }) => ({
    key: input.key,
    env: null,
    observed: null,
    plan: null,
    planError: null,
    stalledGeneration: null,
    outcome: null,
  }),
  initial: 'idle',
  on: {
    DELETE: { target: '.finalizing', actions: 'takeEnv' },
    SUSPEND: { target: '.suspended' },
  },
  states: {
    idle: {
      on: { RECONCILE: { target: 'running', actions: 'takeEnv' } },
    },
    running: {
      initial: 'validating',
      states: {
        validating: {
          always: [{ guard: 'specInvalid', target: '#reconcile.stalled', actions: 'stallInvalid' }, { target: 'observing' }],
        },
        observing: {
          invoke: {
            src: 'observe',
            input: ({ context }) => context.env!,
            onDone: { target: 'planning', actions: 'planFromObserved' },
            onError: FAIL,
          },
        },
        planning: {
          always: [
            { guard: 'planFailedStalled', target: '#reconcile.stalled', actions: 'failWith' },
            { guard: 'planFailed', target: '#reconcile.failed', actions: 'failWith' },
            { guard: 'hasChanges', target: 'applying' },
            { target: 'verifying' },
          ],
        },
        applying: {
          invoke: {
            src: 'apply',
            input: ({ context }) => ({ env: context.env!, changes: context.plan!.changes, observed: context.observed }),
            onDone: { target: 'confirming' },
            onError: FAIL,
          },
        },
        confirming: {
          // Observe again: the plan must now be empty, else the reconciler does not converge.
          entry: assign({ outcome: ({ context }) => pendingApplied(context) }),
          invoke: {
            src: 'observe',
            input: ({ context }) => context.env!,
            onDone: [
              {
                guard: ({ context, event }) => {
                  const env = context.env!;
                  try {
                    return env.reconciler.plan(env.ctx.resource.spec, event.output, planInputOf(env)).changes.length === 0;
                  } catch {
                    return false;
                  }
                },
                target: 'verifying',
                actions: assign({ observed: ({ event }) => event.output }),
              },
              {
                target: '#reconcile.failed',
                actions: assign(({ context, event }) => {
                  const env = context.env!;
                  let left: string;
                  try {
                    left = env.reconciler
                      .plan(env.ctx.resource.spec, event.output, planInputOf(env))
                      .changes.map((c) => c.summary)
                      .join('; ');
                  } catch (err) {
                    left = describeError(err);
                  }
                  return {
                    outcome: {
                      result: 'failed',
                      generation: env.ctx.resource.generation,
                      reason: 'NotConverged',
                      message: `still to do after apply: ${left}`,
                      error: null,
                    } as RunOutcome,
                  };
                }),
              },
            ],
            onError: FAIL,
          },
        },
        verifying: {
          invoke: {
            src: 'verify',
            input: ({ context }) => ({ env: context.env!, observed: context.observed }),
            onDone: {
              target: '#reconcile.ready',
              actions: assign({
                outcome: ({ context, event }) => {
                  const applied = context.outcome?.result === 'converged' ? context.outcome.applied : [];
                  const degraded = event.output.degraded ?? context.plan?.degraded;
                  return {
                    result: 'converged',
                    generation: context.env!.ctx.resource.generation,
                    applied,
                    ...(degraded ? { degraded } : {}),
                    ...(context.plan?.requeueAfterMs !== undefined ? { requeueAfterMs: context.plan.requeueAfterMs } : {}),
                  } as RunOutcome;
                },
              }),
            },
            onError: FAIL,
          },
        },
      },
    },
    ready: {
      on: { RECONCILE: { target: 'running', actions: 'takeEnv' } },
    },
    failed: {
      on: { RECONCILE: { target: 'running', actions: 'takeEnv' } },
    },
    stalled: {
      on: { RECONCILE: { guard: 'mayLeaveStall', target: 'running', actions: 'takeEnv' } },
    },
    suspended: {
      on: { RESUME: { target: 'idle' }, RECONCILE: {} },
    },
    finalizing: {
      invoke: {
        src: 'finalize',
        input: ({ context }) => context.env!,
        onDone: { target: 'deleted', actions: assign({ outcome: { result: 'finalized' } }) },
        onError: {
          target: 'finalizeFailed',
          actions: assign({
            outcome: ({ event }) => ({ result: 'finalizeFailed', message: describeError(event.error), error: event.error }) as RunOutcome,
          }),
        },
      },
    },
    finalizeFailed: {
      on: { RECONCILE: {} },
    },
    deleted: { type: 'final' },
  },
});

/** States in which a run has ended and the outcome can be read. */
export const SETTLED_STATES = ['ready', 'failed', 'stalled', 'suspended', 'deleted', 'finalizeFailed', 'idle'] as const;

function pendingApplied(context: ReconcileMachineContext): RunOutcome {
  return {
    result: 'converged',
    generation: context.env!.ctx.resource.generation,
    applied: context.plan?.changes ?? [],
  };
}

function invalidProblems(env: RunEnv): Array<{ path: string; message: string }> {
  return env.reconciler.validate?.(env.ctx.resource.spec) ?? [];
}
