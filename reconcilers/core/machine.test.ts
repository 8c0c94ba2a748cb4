import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import type { Change, Plan, ReconcileContext, Reconciler } from './contract.js';
import { RetryableError, StalledError } from './contract.js';
import { silentLogger } from './log.js';
import { reconcileMachine, SETTLED_STATES, type RunEnv } from './machine.js';
import { invalidSpec } from './problem.js';
import type { Host } from '../host/index.js';
import { testResource } from '../../test/support/resource.js';

/** A tiny in-memory world: the reconciler keeps `world.value` equal to `spec.value`. */
function counterWorld(opts: { brokenApply?: boolean; stall?: boolean; observeError?: Error } = {}) {
  const world = { value: 0, applies: 0, observes: 0, plans: 0, verified: [] as Array<{ observed: number; plan: Plan }> };
  const reconciler: Reconciler<{ value: number }, number> = {
    kind: 'Counter',
    hostOf: () => 'local',
    validate: (spec) => (spec.value < 0 ? [invalidSpec('spec.value', 'must be >= 0')] : []),
    async observe() {
      world.observes++;
      if (opts.stall) throw new StalledError('Nope', 'cannot ever work');
      if (opts.observeError) throw opts.observeError;
      return world.value;
    },
    plan(spec, observed): Plan {
      world.plans++;
      return observed === spec.value ? { changes: [] } : { changes: [{ action: 'set', target: 'value', summary: `set ${spec.value}` }] };
    },
    async verify(observed, plan) {
      world.verified.push({ observed, plan });
      return {};
    },
    async apply(changes, _o, ctx) {
      world.applies++;
      await new Promise((r) => setTimeout(r, 5));
      if (ctx.signal.aborted) throw new Error('aborted');
      if (!opts.brokenApply) world.value = (ctx.resource.spec as { value: number }).value;
      void changes;
    },
    async finalize() {
      world.value = 0;
    },
  };
  return { world, reconciler };
}

function envFor(reconciler: Reconciler<any, any, Change>, spec: unknown, generation: string): RunEnv {
  const ctx: ReconcileContext = {
    resource: testResource('Counter', 'c', spec, { generation }),
    host: {} as Host,
    signal: new AbortController().signal,
    now: Date.now(),
    inventory: [],
    recordInventory: async () => {},
    forgetInventory: () => {},
    memo: {},
    cache: { load: () => new Map(), save: () => {} },
    setStatus: () => {},
    event: () => {},
    log: silentLogger,
  };
  return { reconciler, ctx };
}

const settled = (s: { matches: (v: any) => boolean }) => SETTLED_STATES.some((v) => s.matches(v));

describe('reconcile machine', () => {
  it('observes, plans, applies, confirms, verifies → ready; a second run applies nothing', async () => {
    const { world, reconciler } = counterWorld();
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 3 }, 'g1') });
    let snap = await waitFor(actor, settled);
    expect(snap.value).toBe('ready');
    expect(world.value).toBe(3);
    expect(snap.context.outcome).toMatchObject({ result: 'converged', applied: [{ summary: 'set 3' }] });
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 3 }, 'g1') });
    snap = await waitFor(actor, settled);
    expect(snap.context.outcome).toMatchObject({ result: 'converged', applied: [] });
    expect(world.applies).toBe(1);
  });

  it('fails with NotConverged when the plan is not empty after apply', async () => {
    const { reconciler } = counterWorld({ brokenApply: true });
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    const snap = await waitFor(actor, settled);
    expect(snap.value).toBe('failed');
    expect(snap.context.outcome).toMatchObject({ result: 'failed', reason: 'NotConverged' });
  });

  it('stalls on an invalid spec and ignores RECONCILE until the generation changes', async () => {
    const { world, reconciler } = counterWorld();
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: -1 }, 'g1') });
    let snap = await waitFor(actor, settled);
    expect(snap.value).toBe('stalled');
    expect(snap.context.outcome).toMatchObject({ result: 'stalled', reason: 'InvalidSpec', message: 'spec.value: must be >= 0' });
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: -1 }, 'g1') });
    expect(actor.getSnapshot().value).toBe('stalled');
    expect(actor.getSnapshot().context.outcome).toMatchObject({ result: 'unchanged' });
    // A new generation that is still invalid (or a forced run) is looked at: stalled again, for that generation, no effect run.
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: -2 }, 'g1b'), force: true });
    expect(actor.getSnapshot().value).toBe('stalled');
    expect(actor.getSnapshot().context).toMatchObject({ stalledGeneration: 'g1b', outcome: { result: 'stalled', reason: 'InvalidSpec', generation: 'g1b' } });
    expect(world.value).toBe(0);
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 2 }, 'g2') });
    snap = await waitFor(actor, settled);
    expect(snap.value).toBe('ready');
    expect(world.value).toBe(2);
  });

  it('a StalledError from observe stalls; force leaves the stall', async () => {
    const { reconciler } = counterWorld({ stall: true });
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    const snap = await waitFor(actor, settled);
    expect(snap.value).toBe('stalled');
    expect(snap.context.outcome).toMatchObject({ result: 'stalled', reason: 'Nope' });
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    expect(actor.getSnapshot().value).toBe('stalled'); // same generation, not forced: stays
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1'), force: true });
    expect(actor.getSnapshot().matches('running')).toBe(true);
  });

  it('DELETE aborts a run in flight and finalizes; SUSPEND pauses', async () => {
    const { world, reconciler } = counterWorld();
    let sawAbort = false;
    const machine = reconcileMachine.provide({
      actors: {
        apply: (await import('xstate')).fromPromise(async ({ signal }) => {
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => ((sawAbort = true), resolve())));
          throw signal.reason; // an apply that only ends when its run is aborted
        }),
      },
    });
    const actor = createActor(machine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 5 }, 'g1') });
    await waitFor(actor, (s) => s.matches({ running: 'applying' }));
    world.value = 9;
    actor.send({ type: 'DELETE', env: envFor(reconciler, { value: 5 }, 'g1') });
    const snap = await waitFor(actor, (s) => s.matches('deleted'));
    expect(sawAbort).toBe(true);
    expect(world.value).toBe(0);
    expect(snap.status).toBe('done');

    const other = createActor(reconcileMachine, { input: { key: 'Counter/d' } }).start();
    other.send({ type: 'SUSPEND' });
    other.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    expect(other.getSnapshot().value).toBe('suspended');
    other.send({ type: 'RESUME' });
    expect(other.getSnapshot().value).toBe('idle');
  });

  it('drift leaves a stall: a RECONCILE with drifted runs again at the same generation', async () => {
    const { world, reconciler } = counterWorld({ stall: true });
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    await waitFor(actor, settled);
    expect(world.observes).toBe(1);
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1'), drifted: true });
    expect(actor.getSnapshot().matches('running')).toBe(true);
    const snap = await waitFor(actor, settled);
    expect(snap.value).toBe('stalled');
    expect(world.observes).toBe(2);
  });

  it('a RECONCILE not taken (stalled as before, or suspended) ends as unchanged and runs nothing', async () => {
    const { world, reconciler } = counterWorld({ stall: true });
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    await waitFor(actor, settled);
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    const snap = actor.getSnapshot();
    expect(snap.value).toBe('stalled');
    expect(snap.context.outcome).toEqual({ result: 'unchanged' });
    expect(snap.context.stalledGeneration).toBe('g1');
    expect(world.observes).toBe(1);

    const suspended = createActor(reconcileMachine, { input: { key: 'Counter/d' } }).start();
    suspended.send({ type: 'SUSPEND' });
    suspended.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 1 }, 'g1') });
    expect(suspended.getSnapshot().context.outcome).toEqual({ result: 'unchanged' });
    expect(world.observes).toBe(1);
  });

  it('lets go of the run environment and the observation once a run settles, keeping the outcome', async () => {
    const { reconciler } = counterWorld();
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/r' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 2 }, 'g1') });
    await waitFor(actor, settled);
    const { context } = actor.getSnapshot();
    expect(context.outcome).toMatchObject({ result: 'converged', generation: 'g1' });
    expect(context.env).toBeNull();
    expect(context.observed).toBeNull();
  });

  it('plans exactly once per observation; verify gets the confirming plan and the observation it came from', async () => {
    const { world, reconciler } = counterWorld();
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 4 }, 'g1') });
    await waitFor(actor, settled);
    expect(world.observes).toBe(2); // observe, then confirm after the apply
    expect(world.plans).toBe(2);
    expect(world.verified).toEqual([{ observed: 4, plan: { changes: [] } }]);
    expect(actor.getSnapshot().context.plan).toBe(world.verified[0]!.plan); // the confirming plan itself, not a re-plan

    actor.send({ type: 'RECONCILE', env: envFor(reconciler, { value: 4 }, 'g1') });
    await waitFor(actor, settled);
    expect(world.observes).toBe(3); // nothing to apply: no confirming observation
    expect(world.plans).toBe(3);
    expect(world.verified).toHaveLength(2);
  });

  it("a RetryableError's reason becomes the failed outcome's reason; any other error is ReconcileFailed", async () => {
    const retryable = counterWorld({ observeError: new RetryableError('ContainerNotRunning', 'the container is stopped') });
    const actor = createActor(reconcileMachine, { input: { key: 'Counter/c' } }).start();
    actor.send({ type: 'RECONCILE', env: envFor(retryable.reconciler, { value: 1 }, 'g1') });
    let snap = await waitFor(actor, settled);
    expect(snap.value).toBe('failed');
    expect(snap.context.outcome).toMatchObject({ result: 'failed', reason: 'ContainerNotRunning', message: 'the container is stopped' });

    const plain = counterWorld({ observeError: new Error('boom') });
    const other = createActor(reconcileMachine, { input: { key: 'Counter/d' } }).start();
    other.send({ type: 'RECONCILE', env: envFor(plain.reconciler, { value: 1 }, 'g1') });
    snap = await waitFor(other, settled);
    expect(snap.context.outcome).toMatchObject({ result: 'failed', reason: 'ReconcileFailed', message: 'boom' });
  });
});
