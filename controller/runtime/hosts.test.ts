/**
 * The HostPool on real LocalHosts: prewarm() makes and connects the Hosts ahead of the controller (a one-shot
 * command starts them before the runtime is loaded), and whoever updates the pool next still sees them as new,
 * on the very same connections.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../reconcilers/core/log.js';
import { testResource } from '../../test/support/resource.js';
import { HostPool } from './hosts.js';

let dir: string;
let pool: HostPool;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-hosts-'));
  mkdirSync(join(dir, 'root'));
  pool = new HostPool({ manifestsDir: dir, stateDir: join(dir, 'state'), log: silentLogger });
});

afterEach(async () => {
  await pool.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('HostPool.prewarm', () => {
  it('makes the Hosts at once; the next update reports them as changed and keeps the same Host objects', async () => {
    const sandbox = testResource('Host', 'sandbox', { root: join(dir, 'root') });
    await pool.prewarm([sandbox]);
    const made = pool.get('sandbox');
    expect(made?.name).toBe('sandbox');
    expect(pool.names().sort()).toEqual(['local', 'sandbox']);

    expect((await pool.update([sandbox])).sort()).toEqual(['local', 'sandbox']);
    expect(pool.get('sandbox')).toBe(made);
    expect(await pool.update([sandbox])).toEqual([]); // reported once
  });

  it('a Host whose spec changed between prewarm and update is rebuilt, and reported once', async () => {
    await pool.prewarm([testResource('Host', 'sandbox', { root: join(dir, 'root') })]);
    const first = pool.get('sandbox');
    mkdirSync(join(dir, 'other'));
    const changed = testResource('Host', 'sandbox', { root: join(dir, 'other') }, { generation: 'g2' });
    expect((await pool.update([changed])).sort()).toEqual(['local', 'sandbox']);
    expect(pool.get('sandbox')).not.toBe(first);
    expect(await pool.update([changed])).toEqual([]);
  });
});
