/**
 * `--git` URLs and flags, pure: each transport is recognised as git recognises it, credentials never reach the
 * URL git is given, the location shown or an error, and git's environment carries nothing of the caller's git
 * setup (and no path spliced into the ssh command).
 */
import { describe, expect, it } from 'vitest';
import { gitConfigArgs, gitEnvironment } from '../../controller/source/git-env.js';
import { GitFlagError, gitSpecFromFlags, GitUrlError, parseGitUrl } from '../../controller/source/index.js';
import { normalizeRepoPath } from '../../controller/source/materialise.js';

describe('parseGitUrl', () => {
  it('recognises each transport', () => {
    expect(parseGitUrl('/srv/lab.git')).toMatchObject({ transport: 'local', gitUrl: '/srv/lab.git', protocol: 'file' });
    expect(parseGitUrl('lab.git', '/srv')).toMatchObject({ transport: 'local', gitUrl: '/srv/lab.git' });
    expect(parseGitUrl('./a:b', '/srv')).toMatchObject({ transport: 'local', gitUrl: '/srv/a:b' });
    expect(parseGitUrl('file:///srv/lab%20repo.git')).toMatchObject({ transport: 'file', gitUrl: 'file:///srv/lab%20repo.git', location: 'file:///srv/lab repo.git' });
    expect(parseGitUrl('ssh://git@nas.lan:2222/srv/lab.git')).toMatchObject({ transport: 'ssh', gitUrl: 'ssh://git@nas.lan:2222/srv/lab.git', protocol: 'ssh' });
    expect(parseGitUrl('git@github.com:me/lab.git')).toMatchObject({ transport: 'ssh', gitUrl: 'git@github.com:me/lab.git', location: 'git@github.com:me/lab.git' });
    expect(parseGitUrl('nas:lab.git')).toMatchObject({ transport: 'ssh', gitUrl: 'nas:lab.git' });
    expect(parseGitUrl('https://git.lan/me/lab.git')).toMatchObject({ transport: 'https', gitUrl: 'https://git.lan/me/lab.git', secrets: [] });
    expect(parseGitUrl('https://git.lan/me/lab.git').authorization).toBeUndefined();
  });

  it('takes https credentials out of the URL into a header, and marks every form of them secret', () => {
    const remote = parseGitUrl('https://me:p%40ss-w0rd@git.lan/me/lab.git?x=1#frag');
    expect(remote.gitUrl).toBe('https://git.lan/me/lab.git?x=1');
    expect(remote.location).toBe('https://git.lan/me/lab.git');
    expect(remote.authorization).toBe(`Basic ${Buffer.from('me:p@ss-w0rd').toString('base64')}`);
    expect(remote.secrets).toEqual(expect.arrayContaining(['p%40ss-w0rd', 'p@ss-w0rd', Buffer.from('me:p@ss-w0rd').toString('base64')]));
    // A token as the user name alone.
    const token = parseGitUrl('https://ghp_abcdef123456@github.com/me/lab.git');
    expect(token.location).toBe('https://github.com/me/lab.git');
    expect(token.authorization).toBe(`Basic ${Buffer.from('ghp_abcdef123456:').toString('base64')}`);
    expect(token.secrets).toContain('ghp_abcdef123456');
  });

  it('drops a password from an ssh URL (ssh never takes one) and keeps the user', () => {
    const remote = parseGitUrl('ssh://git:hunter22@nas.lan/srv/lab.git');
    expect(remote.gitUrl).toBe('ssh://git@nas.lan/srv/lab.git');
    expect(remote.location).toBe('ssh://git@nas.lan/srv/lab.git');
    expect(remote.secrets).toEqual(['hunter22']);
  });

  it('refuses what it cannot use, without quoting a credential', () => {
    for (const [url, message] of [
      ['', /empty/],
      ['-uupload-pack=touch /tmp/x', /cannot start with "-"/],
      ['ssh://-oProxyCommand=x/repo', /cannot start with "-"/],
      ['git://nas.lan/lab.git', /unsupported URL scheme "git:\/\/"/],
      ['ftp://u:s3cr3t@nas.lan/lab.git', /unsupported/],
      ['https://u:s3cr3t@[bad/lab.git', /not a valid https:\/\/ URL/],
      ['https://nas.lan/lab\n.git', /control character/],
      ['file://nas.lan/srv/lab.git', /names no host/],
    ] as const) {
      let error: unknown;
      try {
        parseGitUrl(url);
      } catch (err) {
        error = err;
      }
      expect(error, url).toBeInstanceOf(GitUrlError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('s3cr3t');
    }
  });
});

describe('git environment', () => {
  it('drops the caller git variables and sets a fixed, prompt-free, protocol-limited setup', () => {
    const env = gitEnvironment(parseGitUrl('https://u:p4ss@git.lan/x.git'), {}, { PATH: '/usr/bin', GIT_DIR: '/elsewhere', GIT_SSH_COMMAND: 'evil', SSH_ASKPASS: '/bin/ask', GIT_TRACE_CURL: '1' });
    expect(env).toMatchObject({ PATH: '/usr/bin', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_ALLOW_PROTOCOL: 'https' });
    expect(env.GIT_DIR).toBeUndefined();
    expect(env.GIT_SSH_COMMAND).toBeUndefined();
    expect(env.SSH_ASKPASS).toBeUndefined();
    expect(env.GIT_TRACE_CURL).toBeUndefined();
    expect(env).toMatchObject({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('u:p4ss').toString('base64')}` });
    expect(gitConfigArgs(parseGitUrl('https://git.lan/x.git')).join(' ')).not.toContain('p4ss');
  });

  it('verifies ssh host keys strictly, with the paths in the environment, never in the command', () => {
    const env = gitEnvironment(parseGitUrl('git@nas.lan:lab.git'), { keyFile: '/etc/homeostat/id_git', knownHostsFile: '/etc/homeostat/known_hosts' }, {});
    expect(env.GIT_SSH_COMMAND).toContain('StrictHostKeyChecking=yes');
    expect(env.GIT_SSH_COMMAND).toContain('BatchMode=yes');
    expect(env.GIT_SSH_COMMAND).toContain('IdentitiesOnly=yes');
    expect(env.GIT_SSH_COMMAND).toContain('-F /dev/null');
    expect(env.GIT_SSH_COMMAND).not.toContain('/etc/homeostat');
    expect(env.GIT_SSH_COMMAND).not.toMatch(/accept-new|StrictHostKeyChecking=no/);
    expect(env).toMatchObject({ HOMEOSTAT_GIT_KEY: '/etc/homeostat/id_git', HOMEOSTAT_GIT_KNOWN_HOSTS: '/etc/homeostat/known_hosts', GIT_ALLOW_PROTOCOL: 'ssh' });
  });
});

describe('--git flags', () => {
  it('fills the defaults and checks each flag', () => {
    expect(gitSpecFromFlags({})).toBeUndefined();
    expect(gitSpecFromFlags({ git: 'lab.git' }, '/srv')).toEqual({ url: '/srv/lab.git', ref: 'main', path: 'manifests', intervalMs: 60_000 });
    expect(gitSpecFromFlags({ git: 'git@nas:lab', ref: 'lab', path: './', interval: '30s', gitKey: 'id', gitKnownHosts: '/k' }, '/etc/h')).toEqual({
      url: 'git@nas:lab',
      ref: 'lab',
      path: '.',
      intervalMs: 30_000,
      keyFile: '/etc/h/id',
      knownHostsFile: '/k',
    });
    for (const [flags, message] of [
      [{ ref: 'main' }, /--ref needs --git/],
      [{ gitKnownHosts: '/k' }, /--git-known-hosts needs --git/],
      [{ git: '/r', interval: '1s' }, /--interval: must be at least 5s/],
      [{ git: '/r', interval: 'soon' }, /--interval: "soon" is not a duration/],
      [{ git: '/r', ref: '--upload-pack=x' }, /--ref/],
      [{ git: '/r', ref: 'a..b' }, /--ref/],
      [{ git: '/r', path: '../up' }, /--path: "..\/up" leaves the repository/],
      [{ git: '/r', path: '/abs' }, /--path: "\/abs" must be relative/],
      [{ git: '/r', gitKey: '/k ey' }, /--git-key: the path may not hold spaces/],
      [{ git: '/r', gitKey: '/%d/key' }, /--git-key/],
      [{ git: 'https://u:s3cr3t@[x' }, /not a valid/],
    ] as const) {
      expect(() => gitSpecFromFlags(flags), JSON.stringify(flags)).toThrow(GitFlagError);
      expect(() => gitSpecFromFlags(flags)).toThrow(message);
    }
  });

  it('normalises --path', () => {
    expect(normalizeRepoPath('.')).toBe('');
    expect(normalizeRepoPath('')).toBe('');
    expect(normalizeRepoPath('./lab/manifests/')).toBe('lab/manifests');
    expect(normalizeRepoPath('a/../b')).toBe('b');
  });
});
