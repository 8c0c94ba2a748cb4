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

interface Summary {
  samples: number;
  medianMs: number;
  p99Ms: number;
}

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { samples: sorted.length, medianMs: round(at(0.5)), p99Ms: round(at(0.99)) };
}

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
    return { recordInventory: summarize(inventory), putStatus: summarize(status) };
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
    recordInventoryFullOverNormal: Math.round((full.recordInventory.medianMs / normal.recordInventory.medianMs) * 10) / 10,
  };
}
