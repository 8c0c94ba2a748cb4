/**
 * The commands that ask a running controller (found through `<state>/daemon.json`): `reconcile` and
 * `prune --confirm`, which falls back to a one-shot apply when no controller uses the state directory.
 */
import { errorMessage } from '../../../reconcilers/core/problem.js';
import { parseKey } from '../../../reconcilers/core/resource.js';
import { postToDaemon } from '../client.js';
import { resolveCommon, type CommonOptions } from '../defaults.js';
import { fail } from '../exit.js';

/** Runs a call to the daemon; a token that cannot be read or a refused connection ends the command with a clear message. */
async function callDaemon<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    fail(`cannot reach the running controller: ${errorMessage(err)}`);
  }
}

export async function reconcile(key: string, o: Partial<CommonOptions>): Promise<void> {
  const { kind, name } = parseKey(key);
  const reply = await callDaemon(() => postToDaemon(resolveCommon(o).state, `/api/v1/reconcile/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`));
  if (!reply) fail('no running controller uses this state directory (start `homeostat run`, or use `homeostat apply`)');
  if (!reply.ok) fail(reply.body.error ?? `the controller answered ${reply.status}`);
  process.stdout.write(`reconcile of ${key} queued\n`);
}

export async function prune(o: Partial<CommonOptions> & { confirm?: boolean }): Promise<void> {
  if (!o.confirm) fail('prune needs --confirm: it removes what the deleted resources created');
  const common = resolveCommon(o);
  const reply = await callDaemon(() => postToDaemon<{ pruned: string[] }>(common.state, '/api/v1/prune/confirm'));
  if (reply) {
    if (!reply.ok) fail(reply.body.error ?? `the controller answered ${reply.status}`);
    process.stdout.write(reply.body.pruned.length ? `pruning ${reply.body.pruned.join(', ')}\n` : 'nothing held\n');
    return;
  }
  const { pruneOffline } = await import('./oneshot.js');
  await pruneOffline(common);
}
