/**
 * Benchmark: what durable inventory costs, and what reports do not. The state store commits an inventory record
 * with `synchronous = FULL` (the WAL fsync'd before the write it describes is made) and a commit of reports only
 * (statuses, events) without an fsync of its own. This measures an awaited `recordInventory` alone (until it is
 * durable), 16 records made at once (they share commits: the time per batch), the `putStatus` call, and a commit of
 * reports only (a status and an event, until committed), on a state directory on the machine's disk
 * (os.tmpdir()); medians, p99s, and the ratio of a durable record to a report commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyStatus, StateStore } from '../controller/state/store.js';
import { round, summarize } from '../test/support/stats.js';

export async function benchStoreDurability(samples: number) {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-store-'));
  const store = new StateStore(dir);
  try {
    const inventory: number[] = [];
    const batches: number[] = [];
    const status: number[] = [];
    const reports: number[] = [];
    const item = (i: number, j = 0) => ({ type: 'config-line', host: 'pve', id: `/etc/pve/lxc/100.conf#dev${i}.${j}`, detail: { line: `dev${i}: /dev/dri/renderD128` } });
    const pause = () => new Promise((resolve) => setTimeout(resolve, 50)); // each sample starts outside a burst
    for (let i = 0; i < samples; i++) {
      await pause();
      let t0 = performance.now();
      await store.recordInventory('LxcDevice', 'media', item(i));
      inventory.push(performance.now() - t0);
      await pause();
      t0 = performance.now();
      await Promise.all(Array.from({ length: 16 }, (_, j) => store.recordInventory('LxcDevice', `media-${j}`, item(i, j))));
      batches.push(performance.now() - t0);
      await pause();
      t0 = performance.now();
      store.putStatus('LxcDevice', 'media', { ...emptyStatus(), lastReconcileTime: new Date().toISOString() });
      status.push(performance.now() - t0);
      store.recordEvent('LxcDevice', 'media', 'Normal', 'Applied', `change ${i}`);
      await new Promise<void>((resolve) => store.afterCommit(resolve));
      reports.push(performance.now() - t0);
    }
    const recordInventory = summarize(inventory, 3);
    const reportCommit = summarize(reports, 3);
    return {
      recordInventory,
      sixteenRecordsAtOnce: summarize(batches, 3),
      putStatus: summarize(status, 3),
      reportCommit,
      recordOverReportCommit: round(recordInventory.medianMs / reportCommit.medianMs, 1),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
