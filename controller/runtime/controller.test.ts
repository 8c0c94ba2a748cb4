/**
 * The controller's glue, on real pieces (SQLite store, a LocalHost on a temporary root, inotify watches) with a
 * tiny kind: a Stalled resource is run again only when the machine says so (a new generation, `homeostat
 * reconcile`, or drift seen by its watch), and a RECONCILE the machine does not take writes nothing at all;
 * Reconciling=True is written only while a run is under way; the Host kind comes from the list of reconcilers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';
import { StalledError } from '../../reconcilers/core/contract.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import type { Resource, ResourceKey } from '../../reconcilers/core/resource.js';
import { hostKindReconciler } from '../../reconcilers/host-kind/index.js';
import { getCondition } from '../state/conditions.js';
import { StateStore } from '../state/store.js';
import { Controller, type SettledRun } from './controller.js';

/** `Gate`: Ready when the file `spec.path` exists on its host; stalled (GateClosed) otherwise. Watches the file. */
interface GateSpec {
  host: string;
  path: string;
}
function gateKind() {
  const counts = { observes: 0 };
  let hold: Promise<void> | null = null;
  const reconciler: Reconciler<GateSpec, boolean> = {
    kind: 'Gate',
    hostOf: (spec) => spec.host,
    async observe(ctx) {
      counts.observes++;
      await hold;
      return (await ctx.host.stat(ctx.resource.spec.path)) !== null;
    },
    plan(spec, open) {
      if (!open) throw new StalledError('GateClosed', `${spec.path} does not exist`);
      return { changes: [] };
    },
    async apply() {},
    async finalize() {},
    watchTargets: (spec) => [spec.path],
  };
  return {
    counts,
    reconciler: reconciler as Reconciler<any, any, Change>,
    /** Observe waits until the returned release is called. */
    holdObserve(): () => void {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

function resource(kind: string, name: string, spec: unknown, generation = 'g1'): Resource {
  return {
    apiVersion: 'homeostat.dev/v1alpha1',
    kind,
    metadata: { name, labels: {}, annotations: {} },
    spec,
    source: { file: `${name}.yaml`, line: 1, col: 1 },
    generation,
  };
}

let dir: string;
let root: string;
let store: StateStore;
let controller: Controller | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-controller-'));
  root = join(dir, 'root');
  mkdirSync(root);
  store = new StateStore(join(dir, 'state'));
});

afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(reconcilers: Reconciler<any, any, Change>[]): { controller: Controller; runs: SettledRun[] } {
  controller = new Controller({ manifestsDir: dir, stateDir: join(dir, 'state'), store, log: silentLogger, reconcilers, backoffBaseMs: 50 });
  const runs: SettledRun[] = [];
  controller.onSettled((run) => runs.push(run));
  return { controller, runs };
}

function snapshot(...resources: Resource[]) {
  return { resources: new Map<ResourceKey, Resource>(resources.map((r) => [`${r.kind}/${r.metadata.name}`, r])), revision: { commit: null, dirty: false } };
}

const host = () => resource('Host', 'lab', { root });
const gate = (generation = 'g1') => resource('Gate', 'g', { host: 'lab', path: '/open' }, generation);

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Controller', () => {
  it('a stalled resource run again as before writes nothing; `reconcile` runs it again', async () => {
    const kind = gateKind();
    const { controller, runs } = start([hostKindReconciler, kind.reconciler]);
    await controller.accept(snapshot(host(), gate()));
    await controller.idle();
    expect(runs.filter((r) => r.key === 'Gate/g')).toEqual([{ key: 'Gate/g', generation: 'g1', result: 'stalled', ready: 'False' }]);
    expect(getCondition(store.getStatus('Gate', 'g').conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'GateClosed' });
    const statusBefore = JSON.stringify(store.getStatus('Gate', 'g'));
    const eventsBefore = store.listEvents('Gate', 'g');
    expect(eventsBefore.map((e) => e.reason)).toEqual(['GateClosed']);

    // Queued again without a new generation, force or drift (a resync, a host change): the machine does not run it.
    controller.queue.add('Gate/g');
    await controller.idle();
    expect(kind.counts.observes).toBe(1);
    expect(runs.filter((r) => r.key === 'Gate/g')).toHaveLength(1);
    expect(JSON.stringify(store.getStatus('Gate', 'g'))).toBe(statusBefore);
    expect(store.listEvents('Gate', 'g')).toEqual(eventsBefore);

    expect(controller.reconcileNow('Gate/g')).toBe(true);
    await controller.idle();
    expect(kind.counts.observes).toBe(2);
    expect(runs.filter((r) => r.key === 'Gate/g')).toHaveLength(2);
    expect(store.listEvents('Gate', 'g').map((e) => e.reason)).toEqual(['GateClosed']); // the same stall: one event
  });

  it('drift on the watched path runs a stalled resource again, and it converges', async () => {
    const kind = gateKind();
    const { controller, runs } = start([hostKindReconciler, kind.reconciler]);
    await controller.accept(snapshot(host(), gate()));
    await controller.idle();
    expect(getCondition(store.getStatus('Gate', 'g').conditions, 'Ready')?.status).toBe('False');
    writeFileSync(join(root, 'open'), '');
    await until('Gate/g Ready', () => runs.some((r) => r.key === 'Gate/g' && r.ready === 'True'));
    expect(getCondition(store.getStatus('Gate', 'g').conditions, 'Stalled')).toMatchObject({ status: 'False' });
  });

  it('a new generation runs a stalled resource again', async () => {
    const kind = gateKind();
    const { controller } = start([hostKindReconciler, kind.reconciler]);
    await controller.accept(snapshot(host(), gate('g1')));
    await controller.idle();
    writeFileSync(join(root, 'open'), '');
    await controller.accept(snapshot(host(), gate('g2')));
    await controller.idle();
    const status = store.getStatus('Gate', 'g');
    expect(status.observedGeneration).toBe('g2');
    expect(getCondition(status.conditions, 'Ready')?.status).toBe('True');
  });

  it('writes Reconciling=True while a run is under way, then the outcome', async () => {
    writeFileSync(join(root, 'open'), '');
    const kind = gateKind();
    const { controller } = start([hostKindReconciler, kind.reconciler]);
    const release = kind.holdObserve();
    await controller.accept(snapshot(host(), gate()));
    await until('the run to start', () => kind.counts.observes === 1);
    expect(getCondition(store.getStatus('Gate', 'g').conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Progressing' });
    release();
    await controller.idle();
    const status = store.getStatus('Gate', 'g');
    expect(getCondition(status.conditions, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Succeeded' });
    expect(getCondition(status.conditions, 'Ready')?.status).toBe('True');
  });

  it('reconciles Host resources with the Host kind from the list it is given; refuses a kind given twice', async () => {
    const { controller, runs } = start([hostKindReconciler]);
    await controller.accept(snapshot(host(), resource('Host', 'gone', { root: join(dir, 'missing') })));
    await controller.idle();
    expect(runs.find((r) => r.key === 'Host/lab')).toMatchObject({ result: 'converged', ready: 'True' });
    expect(getCondition(store.getStatus('Host', 'gone').conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'RootMissing' });
    expect(() => new Controller({ manifestsDir: dir, stateDir: join(dir, 'state'), store, log: silentLogger, reconcilers: [hostKindReconciler, hostKindReconciler] })).toThrow(
      /two reconcilers for kind Host/,
    );
  });

  it('a kind without a reconciler is Stalled/KindNotImplemented; a resource on an unknown host is Stalled/HostNotFound', async () => {
    const kind = gateKind();
    const { controller } = start([hostKindReconciler, kind.reconciler]);
    await controller.accept(snapshot(host(), resource('Nope', 'n', {}), resource('Gate', 'elsewhere', { host: 'nowhere', path: '/x' })));
    await controller.idle();
    expect(getCondition(store.getStatus('Nope', 'n').conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'KindNotImplemented' });
    expect(getCondition(store.getStatus('Gate', 'elsewhere').conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'HostNotFound' });
  });
});
