#!/usr/bin/env node
/**
 * The `homeostat` command line (commander): every command's name, options and help. What a command does is in
 * commands/, loaded when it runs, so a start loads only what that command needs (help: commander alone).
 * Exit codes follow design.md: validate 0/1, diff 0 none / 1 changes / 2 error, apply 0 all Ready / 1 not.
 */
import { Command, Option } from 'commander';
import { commands } from './commands/index.js';
import type { CommonOptions } from './defaults.js';
import type { RunOptions } from './commands/run.js';
import type { OneShotFlags } from './commands/oneshot.js';

const program = new Command('homeostat')
  .description('Keeps a Proxmox home lab in the state that a directory of YAML manifests describes.')
  .showHelpAfterError();

const withCommon = (cmd: Command) =>
  cmd
    .option('--manifests <dir>', 'manifests directory', 'manifests')
    .option('--state <dir>', 'state directory (default: $HOMEOSTAT_STATE_DIR, /var/lib/homeostat as root, else ~/.local/state/homeostat)');

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--git URL` and its companions (controller/source/flags.ts checks them); `--interval` only for `run`. */
const withGit = (cmd: Command, opts: { interval: boolean }) => {
  cmd
    .option('--git <url>', 'manifests from a git repository instead of --manifests: a path, file://, ssh://, user@host:repo or https://')
    .option('--ref <ref>', 'with --git: the branch or tag to follow (default: main)')
    .option('--path <dir>', 'with --git: the folder of manifests inside the repository (default: manifests; "." for its root)');
  if (opts.interval) cmd.option('--interval <duration>', 'with --git: fetch this often, 5s to 24h (default: 1m; POST /api/v1/source/refresh fetches now)');
  return cmd
    .option('--git-key <file>', 'with an ssh URL: the private key to log in with')
    .option('--git-known-hosts <file>', "with an ssh URL: the known_hosts file holding the server's host key (never accepted blindly)");
};

withGit(withCommon(program.command('run')), { interval: true })
  .description('run the controller: watch the manifests and keep converging (foreground; systemd runs it)')
  .option('--listen <host:port>', 'HTTP endpoint for /healthz, /readyz, /metrics and the API', '127.0.0.1:9477')
  .option('--allow-remote', 'accept a non-loopback --listen; every endpoint but /healthz, /readyz and the status page\'s files then needs the API token')
  .option('--allow-host <name>', 'another name the Host header may use (a DNS name, a reverse proxy); repeatable', collect, [])
  .option('--resync <duration>', 'periodic resync of converged resources', '10m')
  .action(async (o: RunOptions) => (await commands.run()).run(o));

program
  .command('validate')
  .description('parse and schema-check the manifests; one FILE:LINE:COL line per error')
  .option('--manifests <dir>', 'manifests directory', 'manifests')
  .action(async (o: { manifests: string }) => (await commands.validate()).validate(o));

program
  .command('explain')
  .argument('<KIND[.field.path]>', 'e.g. StorageKeepalive.spec.interval')
  .description('print the schema documentation of a kind or field')
  .action(async (path: string) => (await commands.schemaDocs()).explain(path));

program
  .command('schema')
  .argument('[KIND]', 'one kind (default: any homeostat document, the kind chosen by `kind:`)')
  .description('print a JSON Schema for editors (yaml-language-server), derived from the CRDs')
  .action(async (kind: string | undefined) => (await commands.schemaDocs()).schema(kind));

withGit(withCommon(program.command('diff')), { interval: false })
  .description('plan against the live hosts and print what would change (exit 0 none, 1 changes, 2 error)')
  .option('--timeout <duration>', 'give up on what is not planned by then (reported per resource, exit 2)', '5m')
  .action(async (o: OneShotFlags) => (await commands.oneshot()).diff(o));

withGit(withCommon(program.command('apply')), { interval: false })
  .description('converge every resource once and exit (0: all Ready, 1: some not)')
  .option('--timeout <duration>', 'abort what has not settled by then (reported per resource, exit 1)', '5m')
  .action(async (o: OneShotFlags) => (await commands.oneshot()).apply(o));

withCommon(program.command('get'))
  .argument('[KIND[/NAME]]')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']).default('table'))
  .description('list resources: KIND NAME HOST READY STATUS AGE REVISION')
  .action(async (what: string | undefined, o: Partial<CommonOptions> & { output: string }) => (await commands.status()).get(what, o));

withCommon(program.command('describe'))
  .argument('<KIND/NAME>')
  .description('conditions, status, inventory and recent events of one resource')
  .action(async (key: string, o: Partial<CommonOptions>) => (await commands.status()).describe(key, o));

withCommon(program.command('reconcile'))
  .argument('<KIND/NAME>')
  .description('ask the running controller to reconcile a resource now (even when stalled)')
  .action(async (key: string, o: Partial<CommonOptions>) => (await commands.askController()).reconcile(key, o));

withCommon(program.command('prune'))
  .option('--confirm', 'release deletions held by the mass-deletion guard')
  .description('confirm a mass deletion the guard is holding')
  .action(async (o: Partial<CommonOptions> & { confirm?: boolean }) => (await commands.askController()).prune(o));

/** `import`: describe what already exists as manifests, printed on stdout (`import host`; `import compose` beside it). */
const importCommand = program.command('import').description('print manifests that describe what already exists (redirect them into the manifests directory)');

withCommon(importCommand.command('host'))
  .argument('<HOST>', 'a Host resource in --manifests (or the implicit `local`)')
  .description('read a Host (container configs, cron lines) and print LxcDevice and StorageKeepalive manifests whose diff is empty; writes nothing on the host')
  .action(async (host: string, o: Partial<CommonOptions>) => (await commands.importHost()).importHostCommand(host, o));

importCommand
  .command('compose')
  .argument('<FILE>', 'a compose file (compose.yaml, docker-compose.yml)')
  .option('--host <name>', 'spec.host of the manifests: the Host whose Docker engine runs the containers (default: local)')
  .option('--secrets-dir <dir>', 'where the manifests expect secret values that have no file yet, one file per variable (default: /etc/homeostat/secrets)')
  .description('convert services that share a VPN gateway (network_mode: service:X or container:X) into VpnSidecar manifests; secrets stay in files')
  .action(async (file: string, o: { host?: string; secretsDir?: string }) => (await commands.importCompose()).importCompose(file, o));

await program.parseAsync(process.argv);
