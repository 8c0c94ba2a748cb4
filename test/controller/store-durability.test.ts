/**
 * The inventory is durable before the write it describes: `recordInventory` resolves only after SQLite has fsync'd
 * its write-ahead log (synchronous = FULL), so a power cut right after a config write cannot lose the row that
 * lets prune remove exactly what homeostat added. Proved on the real system calls (strace), not on the option:
 * between two marker files the script opens around one awaited `recordInventory`, the WAL is fsync'd; and the
 * records that three resources make in one turn share one commit. A commit of reports only (statuses, events) is
 * not fsync'd at all: it reaches the disk with the next record's commit.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';
import { integration } from '../support/integration.js';
import { straceAvailable, traceSyscalls } from '../support/strace.js';

const STORE = fileURLToPath(new URL('../../dist/controller/state/store.js', import.meta.url));
const strace = integration('strace and the built store', straceAvailable() && existsSync(STORE), 'install strace, and run `npm run build` first');

/** Opens the store, then: open(before) · recordInventory · open(after). Paths come in argv. */
const SCRIPT = `
import { openSync, closeSync } from 'node:fs';
const [store, dir, before, after] = process.argv.slice(1);
const { StateStore } = await import(store);
const s = new StateStore(dir);
closeSync(openSync(before, 'w'));
await s.recordInventory('LxcDevice', 'media', { type: 'config-line', host: 'pve', id: '/etc/pve/lxc/100.conf#dev0' });
closeSync(openSync(after, 'w'));
await Promise.all(['a', 'b', 'c'].map((n) => s.recordInventory('LxcDevice', n, { type: 'config-line', host: 'pve', id: '/etc/pve/lxc/101.conf#' + n })));
closeSync(openSync(after + '-batch', 'w'));
s.putStatus('LxcDevice', 'media', { conditions: [], observedGeneration: 'g', lastAppliedRevision: null, lastReconcileTime: null, fields: {}, memo: {} });
s.recordEvent('LxcDevice', 'media', 'Normal', 'Applied', 'a report');
s.commit();
closeSync(openSync(after + '-report', 'w'));
await s.recordInventory('LxcDevice', 'media', { type: 'config-line', host: 'pve', id: '/etc/pve/lxc/100.conf#dev1' });
closeSync(openSync(after + '-record', 'w'));
s.close();
`;

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'homeostat-durable-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

strace.describe('state store durability', () => {
  strace.it('fsyncs the WAL inside recordInventory, before it returns', () => {
    const [before, after] = [join(dir, 'marker-before'), join(dir, 'marker-after')];
    const run = traceSyscalls(['openat', 'fsync', 'fdatasync'], [process.execPath, '--input-type=module', '-e', SCRIPT, STORE, join(dir, 'state'), before, after]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { calls } = run;
    // `openat(AT_FDCWD<…>, "…/marker-before", …) = 4<…/marker-before>`: the result names the file opened.
    const from = calls.findIndex((c) => c.name === 'openat' && c.result.includes(before));
    const to = calls.findIndex((c) => c.name === 'openat' && c.result.includes(after));
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const walSyncs = (slice: typeof calls) => slice.filter((c) => (c.name === 'fsync' || c.name === 'fdatasync') && c.path?.endsWith('/state.db-wal'));
    expect(walSyncs(calls.slice(from, to)).length).toBeGreaterThan(0);
    const batchEnd = calls.findIndex((c) => c.name === 'openat' && c.result.includes(`${after}-batch`));
    expect(batchEnd).toBeGreaterThan(to);
    expect(walSyncs(calls.slice(to, batchEnd))).toHaveLength(walSyncs(calls.slice(from, to)).length);
    // A commit of reports only (status, event) is not fsync'd; the next record's commit is, and takes it along.
    const reportEnd = calls.findIndex((c) => c.name === 'openat' && c.result.includes(`${after}-report`));
    const recordEnd = calls.findIndex((c) => c.name === 'openat' && c.result.includes(`${after}-record`));
    expect(reportEnd).toBeGreaterThan(batchEnd);
    expect(recordEnd).toBeGreaterThan(reportEnd);
    expect(walSyncs(calls.slice(batchEnd, reportEnd))).toHaveLength(0);
    expect(walSyncs(calls.slice(reportEnd, recordEnd)).length).toBeGreaterThan(0);
  });
});
