/**
 * `homeostat diff`, `homeostat apply` and the offline half of `prune --confirm` (no controller running): the
 * one-shot runs of controller/runtime/oneshot.ts against the live hosts. Exit codes as design.md says: diff 0 none,
 * 1 changes, 2 error; apply 0 all Ready, 1 not.
 */
import { createLogger, silentLogger } from '../../../reconcilers/core/log.js';
import { errorMessage } from '../../../reconcilers/core/problem.js';
import { allReconcilers } from '../../../reconcilers/index.js';
import { applyOnce, diffOnce, ManifestsInvalid } from '../../runtime/oneshot.js';
import { resolveCommon, timeoutOption, type CommonOptions } from '../defaults.js';
import { fail } from '../exit.js';
import { printManifestErrors, renderGet } from '../output.js';
import { bundledParserId } from '../../manifests/index.js';

/** This bundled build's identity, for the parse cache (undefined when not running from the bundle: no cache). */
const PARSER_ID = bundledParserId(import.meta.url);

export async function diff(o: Partial<CommonOptions> & { timeout: string }): Promise<never> {
  const common = resolveCommon(o);
  const timeoutMs = timeoutOption(o.timeout, 2);
  try {
    const diffs = await diffOnce({ manifestsDir: common.manifests, stateDir: common.state, log: silentLogger, reconcilers: allReconcilers, timeoutMs, parserId: PARSER_ID });
    let changes = 0;
    let errors = 0;
    for (const d of diffs) {
      if (d.error) {
        errors++;
        process.stdout.write(`! ${d.key} (${d.host}): ${d.error}\n`);
        continue;
      }
      if (d.prune) {
        if (d.prune.length === 0) continue;
        changes++;
        process.stdout.write(`- ${d.key} (${d.host}): gone from the manifests, would prune:\n`);
        for (const item of d.prune) process.stdout.write(`    - ${item.type} ${item.host}:${item.id}\n`);
        continue;
      }
      if (d.degraded) process.stdout.write(`  ${d.key} (${d.host}): degraded: ${d.degraded}\n`);
      if (d.changes.length === 0) continue;
      changes++;
      process.stdout.write(`~ ${d.key} (${d.host}):\n`);
      for (const c of d.changes) {
        process.stdout.write(`    ${c.action} ${c.target}: ${c.summary}\n`);
        for (const line of c.details ?? []) process.stdout.write(`      ${line}\n`);
      }
    }
    if (errors > 0) process.exit(2);
    if (changes === 0) process.stdout.write('no changes\n');
    process.exit(changes > 0 ? 1 : 0);
  } catch (err) {
    if (err instanceof ManifestsInvalid) printManifestErrors(err.errors, process.stderr);
    else process.stderr.write(`homeostat: ${errorMessage(err)}\n`);
    process.exit(2);
  }
}

export async function apply(o: Partial<CommonOptions> & { timeout: string }): Promise<never> {
  const common = resolveCommon(o);
  const timeoutMs = timeoutOption(o.timeout, 1);
  try {
    const { views, held, unsettled } = await applyOnce({
      manifestsDir: common.manifests,
      stateDir: common.state,
      log: createLogger({ level: process.env.HOMEOSTAT_LOG_LEVEL ?? 'warn' }),
      reconcilers: allReconcilers,
      timeoutMs,
      parserId: PARSER_ID,
    });
    process.stdout.write((await renderGet(views, 'wide')) + '\n');
    if (held.length > 0) process.stdout.write(`prune held (mass deletion): ${held.join(', ')}; run \`homeostat prune --confirm\`\n`);
    if (unsettled.length > 0) {
      process.stdout.write(`not settled within ${o.timeout} (--timeout); aborted:\n`);
      for (const u of unsettled) process.stdout.write(`  ${u.key}: ${u.state === 'running' ? 'still running' : 'never ran'}\n`);
    }
    process.exit(views.every((v) => v.ready === 'True') && held.length === 0 && unsettled.length === 0 ? 0 : 1);
  } catch (err) {
    if (err instanceof ManifestsInvalid) printManifestErrors(err.errors, process.stderr);
    else fail(errorMessage(err));
    process.exit(1);
  }
}

/** `prune --confirm` with no controller running: one apply that may prune what the guard would hold. */
export async function pruneOffline(common: CommonOptions): Promise<void> {
  try {
    const { views } = await applyOnce({
      manifestsDir: common.manifests,
      stateDir: common.state,
      log: createLogger({ level: 'warn' }),
      reconcilers: allReconcilers,
      confirmPrune: true,
    });
    process.stdout.write((await renderGet(views, 'table')) + '\n');
  } catch (err) {
    if (err instanceof ManifestsInvalid) printManifestErrors(err.errors, process.stderr);
    else fail(errorMessage(err));
    process.exit(1);
  }
}
