import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import type { Change, Plan, ReconcileContext, Reconciler } from '../../reconcilers/core/contract.js';
import { StalledError } from '../../reconcilers/core/contract.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { reconcileMachine, SETTLED_STATES, type RunEnv } from '../../reconcilers/core/machine.js';
import type { Resource } from '../../reconcilers/core/resource.js';
import type { Host } from '../../reconcilers/host/host.js';

/** A tiny in-memory world: the reconciler keeps `world.value` equal to `spec.value`. */
function counterWorld(opts: { brokenApply?: boolean; stall?: boolean } = {}) {
  const world = { value: 0, applies: 0 };
  const reconciler: Reconciler<{ value: number }, number> = {
    kind: 'Counter',
    hostOf: () => 'local',
    validate: (spec) => (spec.value < 0 ? [{ path: 'spec.value', message: 'must be >= 0' }] : []),
    async observe() {
      if (opts.stall) throw new StalledError('Nope', 'cannot ever work');
      return world.value;
    },
    plan(spec, observed): Plan {
      return observed === spec.value ? { changes: [] } : { changes: [{ action: 'set', target: 'value', summary: `set ${spec.value}` }] };
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
  const resource: Resource = {
    apiVersion: 'homeostat.dev/v1alpha1',
    kind: 'Counter',
    metadata: { name: 'c', labels: {}, annotations: {} },
    spec,
    source: { file: 'c.yaml', line: 1, col: 1 },
    generation,
  };
  const ctx: ReconcileContext = {
    resource,
    host: {} as Host,
    signal: new AbortController().signal,
    now: Date.now(),
    inventory: [],
    recordInventory: () => {},
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
});
