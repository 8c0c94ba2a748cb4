#!/usr/bin/env node
/**
 * The `homeostat` command line (commander). Each command is a thin shell over the controller's pieces;
 * exit codes follow design.md: validate 0/1, diff 0 none / 1 changes / 2 error, apply 0 all Ready / 1 not.
 */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { allReconcilers } from '../../reconcilers/index.js';
import { createLogger, silentLogger } from '../../reconcilers/core/log.js';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { parseKey } from '../../reconcilers/core/resource.js';
import { documentJsonSchema, explain, formatManifestError, kindJsonSchema, loadManifestDir } from '../manifests/index.js';
import { runUntilSignalled } from '../runtime/daemon.js';
import { applyOnce, diffOnce, ManifestsInvalid } from '../runtime/oneshot.js';
import { StateLockError } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import { describeResource, listResourceViews } from '../status/views.js';
import { ApiTokenError, RemoteListenRefused } from '../http/index.js';
import { postToDaemon } from './client.js';
import { parseListen, resolveCommon, type CommonOptions } from './defaults.js';
import { renderDescribe, renderGet } from './output.js';
import { durationMs, parseDuration } from '../../reconcilers/core/duration.js';

const program = new Command('homeostat')
  .description('Keeps a Proxmox home lab in the state that a directory of YAML manifests describes.')
  .showHelpAfterError();

const withCommon = (cmd: Command) =>
  cmd
    .option('--manifests <dir>', 'manifests directory', 'manifests')
    .option('--state <dir>', 'state directory (default: $HOMEOSTAT_STATE_DIR, /var/lib/homeostat as root, else ~/.local/state/homeostat)');

function fail(message: string, code = 1): never {
  process.stderr.write(`homeostat: ${message}\n`);
  process.exit(code);
}

function openStore(common: CommonOptions): StateStore | null {
  return existsSync(join(common.state, 'state.db')) ? new StateStore(common.state, { readonly: true }) : null;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs a call to the daemon; a token that cannot be read or a refused connection ends the command with a clear message. */
async function callDaemon<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    fail(`cannot reach the running controller: ${errorMessage(err)}`);
  }
}

/** `--timeout` in milliseconds; a bad value ends the command with `code`. */
function timeoutOption(value: string, code: number): number {
  const ms = parseDuration(value);
  if (ms === null || ms <= 0) fail(`--timeout: "${value}" is not a duration (e.g. 90s, 5m)`, code);
  return ms;
}

function printManifestErrors(err: ManifestsInvalid): void {
  for (const e of err.errors) process.stderr.write(formatManifestError(e) + '\n');
}

withCommon(program.command('run'))
  .description('run the controller: watch the manifests and keep converging (foreground; systemd runs it)')
  .option('--listen <host:port>', 'HTTP endpoint for /healthz, /readyz, /metrics and the API', '127.0.0.1:9477')
  .option('--allow-remote', 'accept a non-loopback --listen; every endpoint but /healthz and /readyz then needs the API token')
  .option('--allow-host <name>', 'another name the Host header may use (a DNS name, a reverse proxy); repeatable', collect, [])
  .option('--resync <duration>', 'periodic resync of converged resources', '10m')
  .action(async (o: Partial<CommonOptions> & { listen: string; allowRemote?: boolean; allowHost: string[]; resync: string }) => {
    const common = resolveCommon(o);
    const log = createLogger();
    try {
      await runUntilSignalled({
        manifestsDir: common.manifests,
        stateDir: common.state,
        log,
        reconcilers: allReconcilers,
        listen: { ...parseListen(o.listen), allowRemote: o.allowRemote === true, allowHosts: o.allowHost },
        resyncMs: durationMs(o.resync),
      });
      process.exit(0);
    } catch (err) {
      if (err instanceof StateLockError || err instanceof RemoteListenRefused || err instanceof ApiTokenError) fail(err.message);
      log.fatal({ err }, 'controller failed');
      process.exit(1);
    }
  });

program
  .command('validate')
  .description('parse and schema-check the manifests; one FILE:LINE:COL line per error')
  .option('--manifests <dir>', 'manifests directory', 'manifests')
  .action(async (o: { manifests: string }) => {
    const { resources, errors } = await loadManifestDir(resolveCommon(o).manifests);
    for (const e of errors) process.stdout.write(formatManifestError(e) + '\n');
    if (errors.length > 0) process.exit(1);
    process.stdout.write(`${resources.length} resource(s) valid\n`);
  });

program
  .command('explain')
  .argument('<KIND[.field.path]>', 'e.g. StorageKeepalive.spec.interval')
  .description('print the schema documentation of a kind or field')
  .action((path: string) => {
    try {
      process.stdout.write(explain(path).trimEnd() + '\n');
    } catch (err) {
      fail(errorMessage(err));
    }
  });

program
  .command('schema')
  .argument('[KIND]', 'one kind (default: any homeostat document, the kind chosen by `kind:`)')
  .description('print a JSON Schema for editors (yaml-language-server), derived from the CRDs')
  .action((kind: string | undefined) => {
    try {
      process.stdout.write(JSON.stringify(kind ? kindJsonSchema(kind) : documentJsonSchema(), null, 2) + '\n');
    } catch (err) {
      fail(errorMessage(err));
    }
  });

withCommon(program.command('diff'))
  .description('plan against the live hosts and print what would change (exit 0 none, 1 changes, 2 error)')
  .option('--timeout <duration>', 'give up on what is not planned by then (reported per resource, exit 2)', '5m')
  .action(async (o: Partial<CommonOptions> & { timeout: string }) => {
    const common = resolveCommon(o);
    const timeoutMs = timeoutOption(o.timeout, 2);
    try {
      const diffs = await diffOnce({ manifestsDir: common.manifests, stateDir: common.state, log: silentLogger, reconcilers: allReconcilers, timeoutMs });
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
      if (err instanceof ManifestsInvalid) printManifestErrors(err);
      else process.stderr.write(`homeostat: ${errorMessage(err)}\n`);
      process.exit(2);
    }
  });

withCommon(program.command('apply'))
  .description('converge every resource once and exit (0: all Ready, 1: some not)')
  .option('--timeout <duration>', 'abort what has not settled by then (reported per resource, exit 1)', '5m')
  .action(async (o: Partial<CommonOptions> & { timeout: string }) => {
    const common = resolveCommon(o);
    const timeoutMs = timeoutOption(o.timeout, 1);
    try {
      const { views, held, unsettled } = await applyOnce({
        manifestsDir: common.manifests,
        stateDir: common.state,
        log: createLogger({ level: process.env.HOMEOSTAT_LOG_LEVEL ?? 'warn' }),
        reconcilers: allReconcilers,
        timeoutMs,
      });
      process.stdout.write(renderGet(views, 'wide') + '\n');
      if (held.length > 0) process.stdout.write(`prune held (mass deletion): ${held.join(', ')}; run \`homeostat prune --confirm\`\n`);
      if (unsettled.length > 0) {
        process.stdout.write(`not settled within ${o.timeout} (--timeout); aborted:\n`);
        for (const u of unsettled) process.stdout.write(`  ${u.key}: ${u.state === 'running' ? 'still running' : 'never ran'}\n`);
      }
      process.exit(views.every((v) => v.ready === 'True') && held.length === 0 && unsettled.length === 0 ? 0 : 1);
    } catch (err) {
      if (err instanceof ManifestsInvalid) printManifestErrors(err);
      else fail(errorMessage(err));
      process.exit(1);
    }
  });

withCommon(program.command('get'))
  .argument('[KIND[/NAME]]')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']).default('table'))
  .description('list resources: KIND NAME HOST READY STATUS AGE')
  .action((what: string | undefined, o: Partial<CommonOptions> & { output: string }) => {
    const store = openStore(resolveCommon(o));
    let views = store ? listResourceViews(store) : [];
    store?.close();
    if (what) {
      const [kind, name] = what.split('/');
      views = views.filter((v) => v.kind.toLowerCase() === kind!.toLowerCase() && (!name || v.name === name));
    }
    process.stdout.write(renderGet(views, o.output) + '\n');
  });

withCommon(program.command('describe'))
  .argument('<KIND/NAME>')
  .description('conditions, status, inventory and recent events of one resource')
  .action((key: string, o: Partial<CommonOptions>) => {
    const { kind, name } = parseKey(key);
    const store = openStore(resolveCommon(o));
    const detail = store ? describeResource(store, kind, name) : null;
    store?.close();
    if (!detail) fail(`no resource ${key} in the state store`);
    process.stdout.write(renderDescribe(detail) + '\n');
  });

withCommon(program.command('reconcile'))
  .argument('<KIND/NAME>')
  .description('ask the running controller to reconcile a resource now (even when stalled)')
  .action(async (key: string, o: Partial<CommonOptions>) => {
    const { kind, name } = parseKey(key);
    const reply = await callDaemon(() => postToDaemon(resolveCommon(o).state, `/api/v1/reconcile/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`));
    if (!reply) fail('no running controller uses this state directory (start `homeostat run`, or use `homeostat apply`)');
    if (!reply.ok) fail(reply.body.error ?? `the controller answered ${reply.status}`);
    process.stdout.write(`reconcile of ${key} queued\n`);
  });

withCommon(program.command('prune'))
  .option('--confirm', 'release deletions held by the mass-deletion guard')
  .description('confirm a mass deletion the guard is holding')
  .action(async (o: Partial<CommonOptions> & { confirm?: boolean }) => {
    if (!o.confirm) fail('prune needs --confirm: it removes what the deleted resources created');
    const common = resolveCommon(o);
    const reply = await callDaemon(() => postToDaemon<{ pruned: string[] }>(common.state, '/api/v1/prune/confirm'));
    if (reply) {
      if (!reply.ok) fail(reply.body.error ?? `the controller answered ${reply.status}`);
      process.stdout.write(reply.body.pruned.length ? `pruning ${reply.body.pruned.join(', ')}\n` : 'nothing held\n');
      return;
    }
    try {
      const { views } = await applyOnce({
        manifestsDir: common.manifests,
        stateDir: common.state,
        log: createLogger({ level: 'warn' }),
        reconcilers: allReconcilers,
        confirmPrune: true,
      });
      process.stdout.write(renderGet(views, 'table') + '\n');
    } catch (err) {
      if (err instanceof ManifestsInvalid) printManifestErrors(err);
      else fail(errorMessage(err));
      process.exit(1);
    }
  });

await program.parseAsync(process.argv);
