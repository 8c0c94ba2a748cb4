/**
 * The controller's glue, on real pieces (SQLite store, a LocalHost on a temporary root, inotify watches) with a
 * tiny kind: a Stalled resource is run again only when the machine says so (a new generation, `homeostat
 * reconcile`, or drift seen by its watch), and a RECONCILE the machine does not take writes nothing at all;
 * Reconciling=True is written only while a run is under way; the Host kind comes from the list of reconcilers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';
import { StalledError } from '../../reconcilers/core/contract.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { hostKindReconciler } from '../../reconcilers/host-kind/index.js';
import { useControllerLab } from '../../test/support/controller-lab.js';
import { testResource, testSnapshot } from '../../test/support/resource.js';
import { waitUntil } from '../../test/support/wait.js';
import { getCondition } from '../state/conditions.js';
import { Controller } from './controller.js';

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

const lab = useControllerLab('homeostat-controller-');

const host = () => testResource('Host', 'lab', { root: lab.root });
const gate = (generation = 'g1') => testResource('Gate', 'g', { host: 'lab', path: '/open' }, { generation });

describe('Controller', () => {
  it('a stalled resource run again as before writes nothing; `reconcile` runs it again', async () => {
    const kind = gateKind();
    const { controller, runs } = lab.start([hostKindReconciler, kind.reconciler]);
    await controller.accept(testSnapshot(host(), gate()));
    await controller.idle();
    expect(runs.filter((r) => r.key === 'Gate/g')).toEqual([{ key: 'Gate/g', generation: 'g1', result: 'stalled', ready: 'False' }]);
    expect(getCondition(lab.store.getStatus('Gate', 'g').conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'GateClosed' });
    const statusBefore = JSON.stringify(lab.store.getStatus('Gate', 'g'));
    const eventsBefore = lab.store.listEvents('Gate', 'g');
    expect(eventsBefore.map((e) => e.reason)).toEqual(['GateClosed']);

    // Queued again without a new generation, force or drift (a resync, a host change): the machine does not run it.
    controller.queue.add('Gate/g');
    await controller.idle();
    expect(kind.counts.observes).toBe(1);
    expect(runs.filter((r) => r.key === 'Gate/g')).toHaveLength(1);
    expect(JSON.stringify(lab.store.getStatus('Gate', 'g'))).toBe(statusBefore);
    expect(lab.store.listEvents('Gate', 'g')).toEqual(eventsBefore);

    expect(controller.reconcileNow('Gate/g')).toBe(true);
    await controller.idle();
    expect(kind.counts.observes).toBe(2);
    expect(runs.filter((r) => r.key === 'Gate/g')).toHaveLength(2);
    expect(lab.store.listEvents('Gate', 'g').map((e) => e.reason)).toEqual(['GateClosed']); // the same stall: one event
  });

  it('drift on the watched path runs a stalled resource again, and it converges', async () => {
    const kind = gateKind();
    const { controller, runs } = lab.start([hostKindReconciler, kind.reconciler]);
    await controller.accept(testSnapshot(host(), gate()));
    await controller.idle();
    expect(getCondition(lab.store.getStatus('Gate', 'g').conditions, 'Ready')?.status).toBe('False');
    writeFileSync(join(lab.root, 'open'), '');
    await waitUntil('Gate/g Ready', () => runs.some((r) => r.key === 'Gate/g' && r.ready === 'True'));
    expect(getCondition(lab.store.getStatus('Gate', 'g').conditions, 'Stalled')).toMatchObject({ status: 'False' });
  });

  it('a new generation runs a stalled resource again', async () => {
    const kind = gateKind();
    const { controller } = lab.start([hostKindReconciler, kind.reconciler]);
    await controller.accept(testSnapshot(host(), gate('g1')));
    await controller.idle();
    writeFileSync(join(lab.root, 'open'), '');
    await controller.accept(testSnapshot(host(), gate('g2')));
    await controller.idle();
    const status = lab.store.getStatus('Gate', 'g');
    expect(status.observedGeneration).toBe('g2');
    expect(getCondition(status.conditions, 'Ready')?.status).toBe('True');
  });

  it('writes Reconciling=True while a run is under way, then the outcome', async () => {
    writeFileSync(join(lab.root, 'open'), '');
    const kind = gateKind();
    const { controller } = lab.start([hostKindReconciler, kind.reconciler]);
    const release = kind.holdObserve();
    await controller.accept(testSnapshot(host(), gate()));
    await waitUntil('the run to start', () => kind.counts.observes === 1);
    expect(getCondition(lab.store.getStatus('Gate', 'g').conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Progressing' });
    release();
    await controller.idle();
    const status = lab.store.getStatus('Gate', 'g');
    expect(getCondition(status.conditions, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Succeeded' });
    expect(getCondition(status.conditions, 'Ready')?.status).toBe('True');
  });

  it('reconciles Host resources with the Host kind from the list it is given; refuses a kind given twice', async () => {
    const { controller, runs } = lab.start([hostKindReconciler]);
    await controller.accept(testSnapshot(host(), testResource('Host', 'gone', { root: join(lab.dir, 'missing') })));
    await controller.idle();
    expect(runs.find((r) => r.key === 'Host/lab')).toMatchObject({ result: 'converged', ready: 'True' });
    expect(getCondition(lab.store.getStatus('Host', 'gone').conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'RootMissing' });
    expect(() => new Controller({ manifestsDir: lab.dir, stateDir: lab.stateDir, store: lab.store, log: silentLogger, reconcilers: [hostKindReconciler, hostKindReconciler] })).toThrow(
      /two reconcilers for kind Host/,
    );
  });

  it('a kind without a reconciler is Stalled/KindNotImplemented; a resource on an unknown host is Stalled/HostNotFound', async () => {
    const kind = gateKind();
    const { controller } = lab.start([hostKindReconciler, kind.reconciler]);
    await controller.accept(testSnapshot(host(), testResource('Nope', 'n', {}), testResource('Gate', 'elsewhere', { host: 'nowhere', path: '/x' })));
    await controller.idle();
    expect(getCondition(lab.store.getStatus('Nope', 'n').conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'KindNotImplemented' });
    expect(getCondition(lab.store.getStatus('Gate', 'elsewhere').conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'HostNotFound' });
  });
});
