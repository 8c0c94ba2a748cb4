/**
 * Benchmark: what durable inventory costs. The state store runs SQLite with `synchronous = FULL`, so an inventory
 * row is on disk (the WAL fsync'd) before the write it describes is made. This measures `recordInventory` and
 * `putStatus` per call with FULL (as shipped) and with NORMAL (as before), on a state directory on the machine's
 * disk (os.tmpdir()), and reports medians, p99s and the FULL/NORMAL ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyStatus, StateStore } from '../controller/state/store.js';
import { round, summarize, type Summary } from '../test/support/stats.js';

function measure(synchronous: 'FULL' | 'NORMAL', samples: number): { recordInventory: Summary; putStatus: Summary } {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-store-'));
  const store = new StateStore(dir);
  try {
    store.db.pragma(`synchronous = ${synchronous}`);
    const inventory: number[] = [];
    const status: number[] = [];
    for (let i = 0; i < samples; i++) {
      let t0 = performance.now();
      store.recordInventory('LxcDevice', 'media', { type: 'config-line', host: 'pve', id: `/etc/pve/lxc/100.conf#dev${i}`, detail: { line: `dev${i}: /dev/dri/renderD128` } });
      inventory.push(performance.now() - t0);
      t0 = performance.now();
      store.putStatus('LxcDevice', 'media', { ...emptyStatus(), lastReconcileTime: new Date().toISOString() });
      status.push(performance.now() - t0);
    }
    return { recordInventory: summarize(inventory, 3), putStatus: summarize(status, 3) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStoreDurability(samples: number) {
  const normal = measure('NORMAL', samples);
  const full = measure('FULL', samples);
  return {
    normal,
    full,
    recordInventoryFullOverNormal: round(full.recordInventory.medianMs / normal.recordInventory.medianMs, 1),
  };
}
