/**
 * The reconcile machine (xstate v5): one actor per resource, living as long as the resource does.
 *
 *   idle ─RECONCILE→ (invalid spec: stalled) running[observing → applying?] → ready
 *   errors → failed (the work queue schedules the retry with backoff) · StalledError/invalid spec → stalled,
 *   which ignores RECONCILE until the generation changes (or a forced reconcile) · SUSPEND/RESUME ·
 *   DELETE (from anywhere, aborting a run in flight) → finalizing → deleted.
 *
 * Every side effect is a named actor (`observe`, `apply`, `finalize`) that receives the AbortSignal fromPromise
 * gives it, combined with the controller's shutdown signal, and passes it on to I/O; tests swap them with
 * `.provide()`. Both `observe` and `apply` end in `observeAndPlan`: observe, plan, and verify when the plan is
 * empty. Planning is pure and done in one place (`planned`), once per observation, and the transition out of
 * observing/applying decides by that plan in its guards; the reconciler's `verify` runs on the observation and
 * plan it is about, in the same effect. After an apply the effect observes again and the machine requires an
 * empty plan (the confirming plan): a reconciler that does not converge fails loudly instead of flapping. No
 * state and no actor of their own for confirming and verifying: each invoke is an actor xstate builds and tears
 * down, and those two were two fifths of the machine's cost in a cold start. Whether a stalled
 * resource is looked at again is decided here alone (`mayLeaveStall`): a new generation, a forced reconcile, or
 * drift on the host. Scheduling (when to retry, resync) belongs to the work queue, not to timers in here.
 */
import { withLinkedSignal } from './linked-signal.js';
import { and, assign, fromPromise, setup } from 'xstate';
import type { Change, KindCondition, Plan, PlanInput, ReconcileContext, ReportedCondition, Reconciler, VerifyResult } from './contract.js';
import { failureReason, isStalledError } from './errors.js';
import { errorMessage, formatProblem, joinMessages } from './problem.js';

/** Everything one run needs, built fresh by the controller for each RECONCILE (level-based). */
export interface RunEnv {
  reconciler: Reconciler<any, any, Change, Plan<any>>;
  ctx: ReconcileContext<any>;
}

export type RunOutcome =
  | {
      result: 'converged';
      generation: string;
      applied: Change[];
      degraded?: ReportedCondition;
      /** The kind's own conditions, as verify reported them. */
      conditions?: KindCondition[];
      requeueAfterMs?: number;
    }
  | { result: 'failed'; generation: string; reason: string; message: string; error: unknown }
  | { result: 'stalled'; generation: string; reason: string; message: string }
  /** A RECONCILE the machine did not take (still stalled as before, or suspended): nothing ran, nothing to write. */
  | { result: 'unchanged' }
  | { result: 'finalized' }
  | { result: 'finalizeFailed'; message: string; error: unknown };

export interface ReconcileMachineContext {
  key: string;
  env: RunEnv | null;
  observed: unknown;
  /** The plan made from `observed` (after an apply: the confirming plan). */
  plan: Plan | null;
  planError: unknown;
  /** What this run's apply did (empty when nothing was to do). */
  applied: Change[];
  stalledGeneration: string | null;
  outcome: RunOutcome | null;
}

export type ReconcileEvent =
  /** `force`: `homeostat reconcile`; `drifted`: a watch saw the host change. Either leaves a stall. */
  | { type: 'RECONCILE'; env: RunEnv; force?: boolean; drifted?: boolean }
  | { type: 'DELETE'; env: RunEnv }
  | { type: 'SUSPEND' }
  | { type: 'RESUME' };

/**
 * Runs an effect with the run's context, its signal aborting with the run's or the actor's (linked only while the
 * effect runs). The effect's context inherits the run's (its getters, e.g. the live inventory, are read when a
 * reconciler reads them) with only `signal` its own: copying every property per effect cost ~35 µs, 0.15 s of a
 * thousand-resource start.
 */
function withEffectContext<T>(env: RunEnv, actorSignal: AbortSignal, effect: (ctx: ReconcileContext<any>) => Promise<T>): Promise<T> {
  return withLinkedSignal([env.ctx.signal, actorSignal], (signal) =>
    effect(Object.create(env.ctx, { signal: { value: signal, enumerable: true } }) as ReconcileContext<any>),
  );
}

/** What a pure `plan` gets besides spec and observation, for a run (also `homeostat diff`). */
export function planInputOf(env: RunEnv): PlanInput {
  const { ctx } = env;
  return { name: ctx.resource.metadata.name, now: ctx.now, inventory: ctx.inventory, memo: ctx.memo };
}

const generationOf = (context: ReconcileMachineContext) => context.env!.ctx.resource.generation;

/** An observation, the plan made from it, and what verify says when that plan is empty: the observe effect's output. */
interface Planned {
  observed: unknown;
  plan: Plan | null;
  planError: unknown;
  /** Set when the plan is empty (nothing left to do): the reconciler's verify of this observation and plan. */
  verified?: VerifyResult;
  /** Set by the apply effect: the changes it applied (this observation is the confirming one, made after them). */
  applied?: Change[];
}

/** The one place a plan is made: from the observation an effect just returned (pure; a throw is the plan's error). */
function planned(env: RunEnv, observed: unknown): Planned {
  try {
    return { observed, plan: env.reconciler.plan(env.ctx.resource.spec, observed, planInputOf(env)), planError: null };
  } catch (err) {
    return { observed, plan: null, planError: err };
  }
}

/**
 * Observes, plans from that observation (pure, once), and when the plan is empty verifies: the last step of the
 * observe and the apply effects.
 */
async function observeAndPlan(env: RunEnv, ctx: ReconcileContext<any>): Promise<Planned> {
  const result = planned(env, await env.reconciler.observe(ctx));
  if (result.planError === null && result.plan && result.plan.changes.length === 0) {
    result.verified = env.reconciler.verify ? await env.reconciler.verify(result.observed, result.plan, ctx) : {};
  }
  return result;
}

/** The observe or apply effect's output, on its done event (the only events the guards and actions below read it from). */
const plannedOf = (event: unknown): Planned => (event as { output: Planned }).output;

/** An effect's or a plan's error: a StalledError stalls (waits for a human), anything else fails (the queue retries it). */
const FAIL = [
  { guard: 'errorIsStalled', target: '#reconcile.stalled', actions: 'failWith' },
  { target: '#reconcile.failed', actions: 'failWith' },
] as const;

/** An observation whose plan failed: a StalledError stalls, anything else fails (the same rule as FAIL's). */
const PLAN_FAILED = [
  { guard: 'observedPlanStalled', target: '#reconcile.stalled', actions: ['takePlanned', 'failWith'] },
  { guard: 'observedPlanFailed', target: '#reconcile.failed', actions: ['takePlanned', 'failWith'] },
] as const;


/** A RECONCILE that may start a run: a spec that does not validate stalls at once instead (no effect runs). */
const START_RUN = [
  { guard: 'specInvalid', target: '#reconcile.stalled', actions: ['takeEnv', 'stallInvalid'] },
  { target: 'running', actions: 'takeEnv' },
] as const;

export const reconcileMachine = setup({
  types: {
    context: {} as ReconcileMachineContext,
    events: {} as ReconcileEvent,
    input: {} as { key: string },
  },
  actors: {
    /** Observes and plans (observeAndPlan): an empty plan goes straight to ready with its verify result. */
    observe: fromPromise<Planned, RunEnv>(async ({ input, signal }) => withEffectContext(input, signal, (ctx) => observeAndPlan(input, ctx))),
    /** Applies the plan's changes, then observes and plans again: that confirming plan must be empty. */
    apply: fromPromise<Planned, { env: RunEnv; changes: Change[]; observed: unknown }>(async ({ input, signal }) =>
      withEffectContext(input.env, signal, async (ctx) => {
        await input.env.reconciler.apply(input.changes, input.observed, ctx);
        return { ...(await observeAndPlan(input.env, ctx)), applied: input.changes };
      }),
    ),
    finalize: fromPromise<void, RunEnv>(async ({ input, signal }) => withEffectContext(input, signal, (ctx) => input.reconciler.finalize(ctx))),
  },
  guards: {
    mayLeaveStall: ({ context, event }) =>
      event.type === 'RECONCILE' &&
      (event.force === true || event.drifted === true || event.env.ctx.resource.generation !== context.stalledGeneration),
    /** The RECONCILE's spec does not validate (checked on the event: the run then never starts). */
    specInvalid: ({ event }) => event.type === 'RECONCILE' && invalidProblems(event.env).length > 0,
    errorIsStalled: ({ context, event }) => isStalledError((event as { error?: unknown }).error ?? context.planError),
    /** The observation's plan (on the observe effect's done event) failed, with a StalledError / at all. */
    observedPlanStalled: ({ event }) => isStalledError(plannedOf(event).planError),
    observedPlanFailed: ({ event }) => plannedOf(event).planError !== null,
    observedPlanHasChanges: ({ event }) => (plannedOf(event).plan?.changes.length ?? 0) > 0,
  },
  actions: {
    takeEnv: assign({
      env: ({ event }) => ('env' in event ? event.env : null),
      observed: null,
      plan: null,
      planError: null,
      applied: [],
      outcome: null,
    }),
    /** The observation and the plan made from it (`planned`), and what was applied, as the effect returned them. */
    takePlanned: assign(({ event }) => {
      const { observed, plan, planError, applied } = plannedOf(event);
      return { observed, plan, planError, ...(applied ? { applied } : {}) };
    }),
    failWith: assign(({ context, event }) => {
      const error = (event as { error?: unknown }).error ?? context.planError;
      const generation = generationOf(context);
      if (isStalledError(error)) {
        return {
          stalledGeneration: generation,
          outcome: { result: 'stalled', generation, reason: error.reason, message: error.message } as RunOutcome,
        };
      }
      return {
        outcome: { result: 'failed', generation, reason: failureReason(error), message: errorMessage(error), error } as RunOutcome,
      };
    }),
    failNotConverged: assign({
      outcome: ({ context }) =>
        ({
          result: 'failed',
          generation: generationOf(context),
          reason: 'NotConverged',
          message: `still to do after apply: ${joinMessages(context.plan!.changes.map((c) => c.summary), 8)}`,
          error: null,
        }) as RunOutcome,
    }),
    stallInvalid: assign(({ context }) => {
      const generation = generationOf(context);
      const message = invalidProblems(context.env!).map(formatProblem).join('; ');
      return { stalledGeneration: generation, outcome: { result: 'stalled', generation, reason: 'InvalidSpec', message } as RunOutcome };
    }),
    /** The run converged: the observe effect's plan was empty and verify (on its done event) said how it stands. */
    converge: assign({
      outcome: ({ context, event }) => {
        const output = plannedOf(event).verified ?? {};
        const degraded = output.degraded ?? context.plan?.degraded;
        return {
          result: 'converged',
          generation: generationOf(context),
          applied: context.applied,
          ...(degraded ? { degraded } : {}),
          ...(output.conditions ? { conditions: output.conditions } : {}),
          ...(context.plan?.requeueAfterMs !== undefined ? { requeueAfterMs: context.plan.requeueAfterMs } : {}),
        } as RunOutcome;
      },
    }),
    unchanged: assign({ outcome: { result: 'unchanged' } as RunOutcome }),
    /**
     * A settled run lets go of its environment and observation (a config's bytes, the run's context and its
     * closures): a thousand idle actors would otherwise keep every last observation alive. The outcome and the
     * plan (small) stay readable.
     */
    releaseRun: assign({ env: null, observed: null }),
  },
}).createMachine({
  id: 'reconcile',
  context: ({ input }) => ({
    key: input.key,
    env: null,
    observed: null,
    plan: null,
    planError: null,
    applied: [],
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
      on: { RECONCILE: START_RUN },
    },
    running: {
      initial: 'observing',
      states: {
        observing: {
          invoke: {
            src: 'observe',
            input: ({ context }) => context.env!,
            onDone: [
              ...PLAN_FAILED,
              { guard: 'observedPlanHasChanges', target: 'applying', actions: 'takePlanned' },
              { target: '#reconcile.ready', actions: ['takePlanned', 'converge'] },
            ],
            onError: FAIL,
          },
        },
        applying: {
          // Apply, then observe again and plan once more (in the effect): the plan must now be empty, else the
          // reconciler does not converge.
          invoke: {
            src: 'apply',
            input: ({ context }) => ({ env: context.env!, changes: context.plan!.changes, observed: context.observed }),
            onDone: [
              ...PLAN_FAILED,
              { guard: 'observedPlanHasChanges', target: '#reconcile.failed', actions: ['takePlanned', 'failNotConverged'] },
              { target: '#reconcile.ready', actions: ['takePlanned', 'converge'] },
            ],
            onError: FAIL,
          },
        },
      },
    },
    ready: {
      entry: 'releaseRun',
      on: { RECONCILE: START_RUN },
    },
    failed: {
      entry: 'releaseRun',
      on: { RECONCILE: START_RUN },
    },
    stalled: {
      entry: 'releaseRun',
      on: {
        RECONCILE: [
          { guard: and(['mayLeaveStall', 'specInvalid']), target: '#reconcile.stalled', actions: ['takeEnv', 'stallInvalid'] },
          { guard: 'mayLeaveStall', target: 'running', actions: 'takeEnv' },
          { actions: 'unchanged' },
        ],
      },
    },
    suspended: {
      on: { RESUME: { target: 'idle' }, RECONCILE: { actions: 'unchanged' } },
    },
    finalizing: {
      invoke: {
        src: 'finalize',
        input: ({ context }) => context.env!,
        onDone: { target: 'deleted', actions: assign({ outcome: { result: 'finalized' } }) },
        onError: {
          target: 'finalizeFailed',
          actions: assign({
            outcome: ({ event }) => ({ result: 'finalizeFailed', message: errorMessage(event.error), error: event.error }) as RunOutcome,
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

function invalidProblems(env: RunEnv) {
  return env.reconciler.validate?.(env.ctx.resource.spec) ?? [];
}
