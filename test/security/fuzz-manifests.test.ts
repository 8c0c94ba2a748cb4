/**
 * Fuzz (issue 9, section 8): 500 generated bad manifests (test/security/fuzz-cases.ts) through `validate` in this
 * process, a sample of them through the built CLI, and all of them through a running daemon that keeps three good
 * resources converged in a sandbox root: no crash, every error line `FILE:LINE:COL`, no prune, the good resources and
 * their inventory intact, nothing written outside the root. bench/fuzz-manifests.ts runs 10,000 and prints figures.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILT_CLI } from '../support/built-cli.js';
import { canMount, integration } from '../support/integration.js';
import { generateBadManifests } from './fuzz-cases.js';
import { fuzzCli, fuzzDaemon, fuzzValidate } from './fuzz-run.js';

const built = integration('built CLI', existsSync(BUILT_CLI), 'run `npm run build` first (npm test does)');
const root = integration('root', canMount(), 'the daemon lab writes cron files as root in a sandbox root');

const cases = generateBadManifests(500, 2024);

describe('fuzz: bad manifests', () => {
  it('validate (in process): no crash, every error FILE:LINE:COL on one clean line, nearly every case rejected', async () => {
    const figures = await fuzzValidate(cases);
    expect(figures.crashes).toEqual([]);
    expect(figures.malformed).toEqual([]);
    expect(figures.rejected).toBeGreaterThan(cases.length * 0.9);
    expect(figures.maxLineLength).toBeLessThan(1_500);
  }, 120_000);

  built.it('the built CLI on a sample: exit 1, nothing on stderr, every case named by an error line', () => {
    const figures = fuzzCli(cases.slice(0, 100));
    expect(figures.crashes).toEqual([]);
    expect(figures.malformed).toEqual([]);
    expect(figures.unreported.length).toBeLessThanOrEqual(figures.cases * 0.1); // the accidentally valid ones
  }, 180_000);

  root.it('a running daemon: no crash, no prune, good resources intact, no write outside the root', async () => {
    const rejected = (await fuzzValidate(cases)).rejectedIndexes.map((i) => cases[i]!);
    const figures = await fuzzDaemon(rejected, 100);
    expect(figures.uncaught).toEqual([]);
    expect(figures.unreportedBatches).toBe(0);
    expect(figures.malformed).toEqual([]);
    expect(figures.prunes).toBe(0);
    expect(figures.pruneHeld).toBe(false);
    expect(figures.goodResourcesIntact).toBe(true);
    expect(figures.writesOutsideRoot).toEqual([]);
    expect(figures.changesInsideRoot).toEqual([]);
  }, 300_000);
});
