/**
 * The git source over the network, against real servers on loopback: OpenSSH (test/support/sshd.ts, with
 * `git-upload-pack` on its side) with a verified host key, and refusing a host key it does not know (never
 * accepted, the known_hosts file left as it was); and git's smart HTTP behind Basic authentication, where the
 * credentials in the URL reach the server as a header and nowhere else: not in the source's state, the controller
 * conditions, the HTTP API, the log, or any file of the state directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitSource } from '../../controller/source/index.js';
import { createLogger, silentLogger } from '../../reconcilers/core/log.js';
import { integration } from '../support/integration.js';
import { sshdAvailable, startSshd, type TestSshd } from '../support/sshd.js';
import { createGitLab, hostYaml, isReady, keepaliveYaml, type GitLab } from './git-lab.js';
import { startGitHttp, type GitHttpServer } from './git-http.js';

const sshd = integration('sshd', sshdAvailable(), 'needs /usr/sbin/sshd and root');

let lab: GitLab;
let scratch: string;
beforeEach(() => {
  lab = createGitLab();
  scratch = mkdtempSync(join(tmpdir(), 'homeostat-git-remote-'));
});
afterEach(async () => {
  await lab.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** Every regular file under `dir`, read as bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path, { throwIfNoEntry: false });
    if (s?.isDirectory()) out.push(...filesUnder(path));
    else if (s?.isFile()) out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

sshd.describe('over ssh', () => {
  let server: TestSshd;
  beforeAll(async () => {
    server = await startSshd();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const sshUrl = () => `ssh://${server.user}@127.0.0.1:${server.port}${lab.upstream.bare}`;

  sshd.it('applies a commit fetched with the given key, the host key verified against the given known_hosts', async () => {
    const sha = lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root), 'manifests/a.yaml': keepaliveYaml('a') }, 'Over ssh');
    const daemon = await lab.start({ url: sshUrl(), keyFile: server.identityFile, knownHostsFile: server.knownHostsFile });
    expect(daemon.source.state()).toMatchObject({ appliedCommit: sha, lastFetchResult: 'ok', location: sshUrl() });
    await lab.waitForView('StorageKeepalive/a', (v) => isReady(v) && v.lastAppliedRevision?.commit === sha, 'Ready at the ssh commit');
  });

  sshd.it('refuses a host key it does not know, and never writes it down', async () => {
    lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root) }, 'First');
    const otherKey = join(scratch, 'other');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const wrong = join(scratch, 'known_hosts-wrong');
    writeFileSync(wrong, `[127.0.0.1]:${server.port} ${readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const empty = join(scratch, 'known_hosts-empty');
    writeFileSync(empty, '');
    for (const knownHostsFile of [wrong, empty]) {
      const before = readFileSync(knownHostsFile, 'utf8');
      const source = new GitSource({ url: sshUrl(), keyFile: server.identityFile, knownHostsFile, stateDir: join(scratch, 'state'), log: silentLogger, intervalMs: 3_600_000 });
      try {
        expect(await source.start()).toBeNull();
        expect(source.state()).toMatchObject({ appliedCommit: null, lastFetchResult: 'failed' });
        expect(source.problem()).toMatchObject({ reason: 'FetchFailed' });
        expect(source.state().lastFetchError).toMatch(/Host key verification failed/);
        expect(readFileSync(knownHostsFile, 'utf8')).toBe(before);
      } finally {
        await source.close();
      }
    }
  });
});

describe('over http with credentials in the URL', () => {
  let http: GitHttpServer;
  const password = `pw-${Math.random().toString(36).slice(2)}-Zq9`;
  const user = `user-${Math.random().toString(36).slice(2, 8)}`;
  beforeEach(async () => {
    http = await startGitHttp(dirname(lab.upstream.bare), user, password);
  });
  afterEach(async () => {
    await http.close();
  });
  const plainUrl = () => `http://127.0.0.1:${http.port}/upstream.git`;
  const secretUrl = (pw = password) => `http://${user}:${encodeURIComponent(pw)}@127.0.0.1:${http.port}/upstream.git`;

  it('fetches with them as a header, and shows them nowhere', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', destination: new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }) });
    const sha = lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root), 'manifests/a.yaml': keepaliveYaml('a') }, 'Over http');
    const daemon = await lab.start({ url: secretUrl() }, log);
    await lab.waitForView('StorageKeepalive/a', (v) => isReady(v) && v.lastAppliedRevision?.commit === sha, 'Ready at the http commit');
    expect(http.authorizations).toContain(`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
    expect(daemon.source.state().location).toBe(plainUrl());

    const api = await (await fetch(`${daemon.http.url}/api/v1/source`)).text();
    expect(JSON.parse(api)).toMatchObject({ type: 'git', location: plainUrl(), appliedCommit: sha });
    const shown = [
      JSON.stringify(daemon.source.state()),
      JSON.stringify(daemon.store.listControllerConditions()),
      api,
      lines.join(''),
    ].join('\n');
    expect(shown).toContain('127.0.0.1');
    for (const secret of [password, encodeURIComponent(password), user, Buffer.from(`${user}:${password}`).toString('base64')]) {
      expect(shown).not.toContain(secret);
      for (const file of filesUnder(lab.state)) expect(file.bytes.includes(secret), `${file.path} holds a credential`).toBe(false);
    }
  });

  it('a wrong password fails the fetch with an error that holds neither password', async () => {
    lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root) }, 'First');
    const wrong = `wrong-${Math.random().toString(36).slice(2)}`;
    const source = new GitSource({ url: secretUrl(wrong), stateDir: join(scratch, 'state'), log: silentLogger, intervalMs: 3_600_000 });
    try {
      expect(await source.start()).toBeNull();
      const state = source.state();
      expect(state).toMatchObject({ lastFetchResult: 'failed', location: plainUrl() });
      expect(state.lastFetchError).toContain(`fetching "main" from ${plainUrl()} failed`);
      expect(JSON.stringify(state) + JSON.stringify(source.problem())).not.toMatch(new RegExp(`${wrong}|${password}|${user}`));
      expect(http.authorizations.length).toBeGreaterThan(0);
      expect(http.authorizations.every((a) => a === undefined || a === `Basic ${Buffer.from(`${user}:${wrong}`).toString('base64')}`)).toBe(true);
    } finally {
      await source.close();
    }
  });
});
