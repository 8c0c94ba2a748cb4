/**
 * Benchmark: what durable inventory costs. The state store runs SQLite with `synchronous = FULL`, so an inventory
 * row is on disk (the WAL fsync'd) before the write it describes is made. This measures an awaited
 * `recordInventory` alone (until it is durable), 16 records made at once (they share one commit: the time per
 * batch), and `putStatus` (the call; it is committed with the others of its turn), with FULL (as shipped) and with
 * NORMAL, on a state directory on the machine's disk (os.tmpdir()); medians, p99s and the FULL/NORMAL ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyStatus, StateStore } from '../controller/state/store.js';
import { round, summarize, type Summary } from '../test/support/stats.js';

async function measure(synchronous: 'FULL' | 'NORMAL', samples: number): Promise<{ recordInventory: Summary; sixteenRecordsAtOnce: Summary; putStatus: Summary }> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-store-'));
  const store = new StateStore(dir);
  try {
    store.db.pragma(`synchronous = ${synchronous}`);
    const inventory: number[] = [];
    const batches: number[] = [];
    const status: number[] = [];
    const item = (i: number, j = 0) => ({ type: 'config-line', host: 'pve', id: `/etc/pve/lxc/100.conf#dev${i}.${j}`, detail: { line: `dev${i}: /dev/dri/renderD128` } });
    for (let i = 0; i < samples; i++) {
      let t0 = performance.now();
      await store.recordInventory('LxcDevice', 'media', item(i));
      inventory.push(performance.now() - t0);
      t0 = performance.now();
      await Promise.all(Array.from({ length: 16 }, (_, j) => store.recordInventory('LxcDevice', `media-${j}`, item(i, j))));
      batches.push(performance.now() - t0);
      t0 = performance.now();
      store.putStatus('LxcDevice', 'media', { ...emptyStatus(), lastReconcileTime: new Date().toISOString() });
      status.push(performance.now() - t0);
      await new Promise<void>((resolve) => store.afterCommit(resolve));
    }
    return { recordInventory: summarize(inventory, 3), sixteenRecordsAtOnce: summarize(batches, 3), putStatus: summarize(status, 3) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStoreDurability(samples: number) {
  const normal = await measure('NORMAL', samples);
  const full = await measure('FULL', samples);
  return {
    normal,
    full,
    recordInventoryFullOverNormal: round(full.recordInventory.medianMs / normal.recordInventory.medianMs, 1),
  };
}
