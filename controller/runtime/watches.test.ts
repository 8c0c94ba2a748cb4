/**
 * Drift watches on a real LocalHost (inotify): a change in a watched folder is drift, but homeostat's own scratch
 * files there (`.homeostat-…`, e.g. UnifiedNamespace's hardlink probe) are not, so a check that writes them cannot
 * queue itself again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../reconcilers/core/log.js';
import { SCRATCH_PREFIX } from '../../reconcilers/core/scratch.js';
import { testResource } from '../../test/support/resource.js';
import { sleep, waitUntil } from '../../test/support/wait.js';
import { watchOnlyKind } from '../../test/support/watch-only-kind.js';
import { HostPool } from './hosts.js';
import { DriftWatches } from './watches.js';

let dir: string;
let hosts: HostPool;
let watches: DriftWatches;
const drifted: string[] = [];

const folderKind = watchOnlyKind('Folder', 'sandbox');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-watches-'));
  mkdirSync(join(dir, 'root/data'), { recursive: true });
  drifted.length = 0;
  hosts = new HostPool({ manifestsDir: dir, stateDir: join(dir, 'state'), log: silentLogger });
  watches = new DriftWatches({ hosts, log: silentLogger, onDrift: (key) => drifted.push(key), event: () => {} });
  await watches.syncHosts([testResource('Host', 'sandbox', { root: join(dir, 'root') })]);
});

afterEach(async () => {
  watches.closeAll();
  await hosts.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('drift watches', () => {
  it("a change in a watched folder is drift; homeostat's own scratch files there are not", async () => {
    const folder = testResource('Folder', 'data', { path: '/data' });
    watches.ensure('Folder/data', folder, folderKind, hosts.get('sandbox')!);
    await sleep(100); // inotify armed

    const scratch = join(dir, 'root/data', `${SCRATCH_PREFIX}hardlink-probe-data`);
    writeFileSync(scratch, '');
    rmSync(scratch);
    await sleep(300);
    expect(drifted).toEqual([]);

    writeFileSync(join(dir, 'root/data/movie.mkv'), 'x');
    await waitUntil('drift from a real change', () => drifted.length > 0);
    expect(new Set(drifted)).toEqual(new Set(['Folder/data']));

    // A file a resource keeps (StorageKeepalive's `.homeostat-keepalive`) is not scratch: a person deleting it is drift.
    drifted.length = 0;
    writeFileSync(join(dir, 'root/data/.homeostat-keepalive'), 'x');
    await waitUntil('drift from a kept file', () => drifted.length > 0);
  });
});
