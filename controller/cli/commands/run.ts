/** `homeostat run`: the controller, in the foreground (systemd runs it), until SIGINT or SIGTERM. */
import { createLogger } from '../../../reconcilers/core/log.js';
import { durationMs } from '../../../reconcilers/core/duration.js';
import { allReconcilers } from '../../../reconcilers/index.js';
import { ApiTokenError, RemoteListenRefused } from '../../http/index.js';
import { runUntilSignalled } from '../../runtime/daemon.js';
import { StateLockError } from '../../state/lock.js';
import { GitFlagError, gitSpecFromFlags, type GitFlags } from '../../source/index.js';
import { bundledParserId } from '../../manifests/index.js';
import { parseListen, resolveCommon, type CommonOptions } from '../defaults.js';
import { fail } from '../exit.js';

export interface RunOptions extends Partial<CommonOptions>, GitFlags {
  listen: string;
  allowRemote?: boolean;
  allowHost: string[];
  resync: string;
}

/** This bundled build's identity, for the parse cache (undefined when not running from the bundle: no cache). */
const PARSER_ID = bundledParserId(import.meta.url);

export async function run(o: RunOptions): Promise<never> {
  const common = resolveCommon(o);
  const log = createLogger({ async: true });
  let git;
  try {
    git = gitSpecFromFlags(o);
  } catch (err) {
    if (err instanceof GitFlagError) fail(err.message);
    throw err;
  }
  try {
    await runUntilSignalled({
      manifestsDir: common.manifests,
      stateDir: common.state,
      log,
      reconcilers: allReconcilers,
      listen: { ...parseListen(o.listen), allowRemote: o.allowRemote === true, allowHosts: o.allowHost },
      resyncMs: durationMs(o.resync),
      ...(git ? { git } : {}),
      ...(PARSER_ID ? { parserId: PARSER_ID } : {}),
    });
    process.exit(0);
  } catch (err) {
    if (err instanceof StateLockError || err instanceof RemoteListenRefused || err instanceof ApiTokenError) fail(err.message);
    log.fatal({ err }, 'controller failed');
    process.exit(1);
  }
}
