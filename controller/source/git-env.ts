/**
 * The environment and `-c` options every git call of the git source runs with, so that nothing outside homeostat
 * changes what git does: no system or global config, no inherited `GIT_*` variable, no prompt and no askpass
 * program (a missing credential fails at once), only the URL's own protocol (GIT_ALLOW_PROTOCOL, which also keeps
 * a redirect from switching protocol), no hooks, incoming objects checked.
 *
 * Over SSH, host keys are verified against the given known_hosts file only (StrictHostKeyChecking=yes, never
 * accept-new), with the given key only (IdentitiesOnly), in BatchMode, ignoring ssh_config files. git starts
 * `GIT_SSH_COMMAND` through `sh -c`; that string is a constant here, and the file paths reach it as environment
 * variables (expanded inside double quotes), never spliced into it. Pure.
 */
import { isAbsolute, resolve } from 'node:path';
import type { GitRemote } from './git-url.js';

export interface GitAuthFiles {
  /** `--git-key`: the private key ssh logs in with. */
  keyFile?: string;
  /** `--git-known-hosts`: the only host keys ssh accepts. */
  knownHostsFile?: string;
}

export class GitAuthError extends Error {
  override readonly name = 'GitAuthError';
}

const SSH_OPTIONS = [
  '-F /dev/null',
  '-o BatchMode=yes',
  '-o StrictHostKeyChecking=yes',
  '-o IdentitiesOnly=yes',
  '-o GlobalKnownHostsFile=/dev/null',
  '-o UpdateHostKeys=no',
  '-o CheckHostIP=no',
  '-o ConnectTimeout=20',
  '-o ServerAliveInterval=15',
  '-o ServerAliveCountMax=2',
  '-o ControlMaster=no',
  '-o ControlPath=none',
].join(' ');

/**
 * ssh reads `%` tokens and spaces in option values, and the shell would read quotes: a path with any of them (or a
 * control character) is refused rather than escaped. Returns the absolute path.
 */
export function checkedAuthPath(flag: string, path: string, cwd = process.cwd()): string {
  if (/[\s"'\\%$`\u0000-\u001f\u007f]/.test(path)) throw new GitAuthError(`${flag}: the path may not hold spaces, quotes, "%", "$", "\\" or control characters`);
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** `-c` options before the git subcommand. */
export function gitConfigArgs(remote: GitRemote): string[] {
  const config = [
    'core.hooksPath=/dev/null',
    'core.fsmonitor=false',
    'credential.helper=',
    'transfer.fsckObjects=true',
    'gc.autoDetach=false',
    // A local repository owned by another user (the usual case when homeostat runs as root) is read, never written.
    ...(remote.protocol === 'file' ? [`safe.directory=${remote.location.replace(/^file:\/\//, '')}`] : []),
  ];
  return config.flatMap((c) => ['-c', c]);
}

/** The environment of a git call for `remote`: `base` without its git variables, plus ours. */
export function gitEnvironment(remote: GitRemote, auth: GitAuthFiles, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (name.startsWith('GIT_') || name === 'SSH_ASKPASS' || name === 'SSH_ASKPASS_REQUIRE') continue;
    env[name] = value;
  }
  Object.assign(env, {
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '', // empty: no askpass program, not even core.askPass
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: remote.protocol,
    GIT_LITERAL_PATHSPECS: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
  });
  if (remote.protocol === 'ssh') {
    const parts = ['ssh', SSH_OPTIONS];
    if (auth.knownHostsFile) {
      env.HOMEOSTAT_GIT_KNOWN_HOSTS = auth.knownHostsFile;
      parts.push('-o "UserKnownHostsFile=$HOMEOSTAT_GIT_KNOWN_HOSTS"');
    }
    if (auth.keyFile) {
      env.HOMEOSTAT_GIT_KEY = auth.keyFile;
      parts.push('-i "$HOMEOSTAT_GIT_KEY"');
    }
    env.GIT_SSH_COMMAND = parts.join(' ');
    env.GIT_SSH_VARIANT = 'ssh';
  }
  if (remote.authorization) {
    // The credential goes in a header from the environment (readable by this user alone), never in argv or a file.
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: ${remote.authorization}` });
  }
  return env;
}
