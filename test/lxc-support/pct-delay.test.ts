/**
 * The pct stand-in costs what real `pct` costs before it does anything (a Perl program loading the Proxmox
 * libraries): PCT_STANDIN_DELAY_MS, default 300 ms, slept first, before the stand-in reads its environment.
 * Only lower bounds are checked (a sleep is never shorter than asked).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PCT_STANDIN_DIR, pctEnv, runCommand } from '../support/lxc.js';

const root = mkdtempSync(join(tmpdir(), 'hs-pct-delay-'));
const missing = `Configuration file 'nodes/${hostname().split('.')[0]}/lxc/100.conf' does not exist\n`;

/** Runs `pct` with `env` over the stand-in's environment for `root`; returns the result and the time it took. */
async function timedPct(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const base = pctEnv(root);
  delete base.PCT_STANDIN_DELAY_MS;
  const started = performance.now();
  const result = await runCommand(join(PCT_STANDIN_DIR, 'pct'), argv, { env: { ...base, ...env } });
  return { ...result, ms: performance.now() - started };
}

describe('pct stand-in start-up cost', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('sleeps 300 ms by default, and PCT_STANDIN_DELAY_MS long when set', async () => {
    const byDefault = await timedPct(['status', '100']);
    expect(byDefault).toMatchObject({ code: 2, stdout: '', stderr: missing });
    expect(byDefault.ms).toBeGreaterThanOrEqual(300);
    const longer = await timedPct(['status', '100'], { PCT_STANDIN_DELAY_MS: '900' });
    expect(longer).toMatchObject({ code: 2, stderr: missing });
    expect(longer.ms).toBeGreaterThanOrEqual(900);
    expect(await timedPct(['status', '100'], { PCT_STANDIN_DELAY_MS: '0' })).toMatchObject({ code: 2, stderr: missing });
  });

  it('pays before any work: even a call that fails on its environment first sleeps', async () => {
    const noRoot = await timedPct(['status', '100'], { PCT_STANDIN_ROOT: '', PCT_STANDIN_DELAY_MS: '600' });
    expect(noRoot.code).toBe(255);
    expect(noRoot.stderr).toContain('PCT_STANDIN_ROOT must be set');
    expect(noRoot.ms).toBeGreaterThanOrEqual(600);
  });

  it('refuses a delay that is not a whole number of milliseconds', async () => {
    for (const bad of ['abc', '-1', '1.5', '300ms']) {
      expect(await timedPct(['status', '100'], { PCT_STANDIN_DELAY_MS: bad })).toMatchObject({
        code: 255,
        stdout: '',
        stderr: `pct stand-in: PCT_STANDIN_DELAY_MS must be a whole number of milliseconds, got '${bad}'\n`,
      });
    }
  });

  it('the inner run under pct`s lock is the same call and does not read the delay again', async () => {
    const inner = await timedPct(['status', '100'], { PCT_STANDIN_DELAY_MS: 'abc', PCT_STANDIN_LOCK_HELD: join(root, 'lock') });
    expect(inner).toMatchObject({ code: 2, stderr: missing });
  });
});
