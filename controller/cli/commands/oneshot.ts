/**
 * `homeostat diff`, `homeostat apply` and the offline half of `prune --confirm` (no controller running): the
 * one-shot runs of controller/runtime/oneshot.ts against the live hosts. Exit codes as design.md says: diff 0 none,
 * 1 changes, 2 error (a plan's notes, e.g. an adoption in place, are printed but are no change); apply 0 all
 * Ready, 1 not.
 */
import type { Logger } from 'pino';
import { createLogger, silentLogger } from '../../../reconcilers/core/log.js';
import { errorMessage } from '../../../reconcilers/core/problem.js';
import type { Revision } from '../../../reconcilers/core/resource.js';
import { ManifestsInvalid, startOneShot, type OneShotStart } from '../../runtime/oneshot-start.js';
import { resolveCommon, timeoutOption, type CommonOptions } from '../defaults.js';
import { fail } from '../exit.js';
import { printManifestErrors, renderGet } from '../output.js';
import { bundledParserId } from '../../manifests/parse-cache.js';
import { GitFlagError, gitSpecFromFlags, type GitFlags } from '../../source/flags.js';

export interface OneShotFlags extends Partial<CommonOptions>, GitFlags {
  timeout: string;
}

/**
 * The manifests `diff`/`apply` read: `--manifests`, or with `--git` the ref's commit fetched and checked out once
 * (removed when the command exits). A fetch that fails or a commit that does not validate ends the command with
 * `code`, its manifest errors printed like `validate`'s.
 */
async function manifestsOf(o: OneShotFlags, code: number): Promise<{ manifestsDir: string; revision?: Revision }> {
  const common = resolveCommon(o);
  let git;
  try {
    git = gitSpecFromFlags(o);
  } catch (err) {
    if (err instanceof GitFlagError) fail(err.message, code);
    throw err;
  }
  if (!git) return { manifestsDir: common.manifests };
  const { checkoutOnce, CommitInvalid, FetchError } = await import('../../source/index.js');
  try {
    const checkout = await checkoutOnce(git);
    process.once('exit', () => checkout.dispose());
    return { manifestsDir: checkout.manifestsDir, revision: checkout.revision };
  } catch (err) {
    if (err instanceof FetchError) fail(err.message, code);
    if (err instanceof CommitInvalid) {
      process.stderr.write(`homeostat: commit ${err.revision.commit} does not validate:\n`);
      printManifestErrors(err.errors, process.stderr);
      process.exit(code);
    }
    throw err;
  }
}

/** This bundled build's identity, for the parse cache (undefined when not running from the bundle: no cache). */
const PARSER_ID = bundledParserId(import.meta.url);

/**
 * Reads the manifests and starts connecting to their Hosts, then loads the runtime (the controller, the
 * reconcilers, xstate): the handshakes go on while it compiles. Only then is the runtime's module imported.
 */
async function startThenLoad(o: OneShotFlags, code: number, log: Logger, access: 'read' | 'write') {
  const common = resolveCommon(o);
  const manifests = await manifestsOf(o, code);
  const start: OneShotStart = await startOneShot({ ...manifests, stateDir: common.state, log, parserId: PARSER_ID }, access);
  const [runtime, { allReconcilers }] = await Promise.all([import('../../runtime/oneshot.js'), import('../../../reconcilers/index.js')]);
  return { runtime, options: { ...manifests, stateDir: common.state, log, reconcilers: allReconcilers, parserId: PARSER_ID, start } };
}

export async function diff(o: OneShotFlags): Promise<never> {
  const timeoutMs = timeoutOption(o.timeout, 2);
  try {
    const { runtime, options } = await startThenLoad(o, 2, silentLogger, 'read');
    const diffs = await runtime.diffOnce({ ...options, timeoutMs });
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
      // Notes are not changes: they never count, so a diff of notes alone still says "no changes" and exits 0.
      for (const note of d.notes ?? []) process.stdout.write(`  ${d.key} (${d.host}): note: ${note}\n`);
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

export async function apply(o: OneShotFlags): Promise<never> {
  const timeoutMs = timeoutOption(o.timeout, 1);
  try {
    const { runtime, options } = await startThenLoad(o, 1, createLogger({ level: process.env.HOMEOSTAT_LOG_LEVEL ?? 'warn' }), 'write');
    const { views, held, unsettled } = await runtime.applyOnce({ ...options, timeoutMs });
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
    const [{ applyOnce }, { allReconcilers }] = await Promise.all([import('../../runtime/oneshot.js'), import('../../../reconcilers/index.js')]);
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
