/**
 * Proof, in the system calls (strace -f -y), of what the SSH remote helper does for writes that arrive in one
 * batch: each file is fsync'd before its rename, the folder they were renamed into is fsync'd once for the batch,
 * and no answer is written before that folder fsync. The helper runs here as it runs on a host (perl with the
 * constant script, requests on stdin), without sshd in between.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { HELPER_SCRIPT } from '../../reconcilers/host/ssh-helper-script.js';
import { integration } from '../support/integration.js';
import { straceAvailable, traceSyscalls } from '../support/strace.js';

const strace = integration('strace', straceAvailable(), 'needs strace (apt package strace)');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-helper-fsync-'));
  mkdirSync(join(root, 'etc/pve/lxc'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

strace.describe('the remote helper', () => {
  strace.it('fsyncs every file of a batch of writes, their folder once, and answers only after it', () => {
    const requests = [100, 101, 102]
      .map((ct, i) => `${i + 1} ${['write', root, `/etc/pve/lxc/${ct}.conf`, `arch: amd64\nhostname: ct${ct}\n`, '', '', '', '', '1', '0'].map(b64).join(' ')}\n`)
      .join('');
    const run = traceSyscalls(['fsync', 'fdatasync', 'write'], ['sh', '-c', 'printf %s "$1" | exec perl -e "$2"', 'sh', requests, HELPER_SCRIPT]);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n').map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['1 OK', '2 OK', '3 OK']);
    for (const ct of [100, 101, 102]) expect(readFileSync(join(root, `etc/pve/lxc/${ct}.conf`), 'utf8')).toBe(`arch: amd64\nhostname: ct${ct}\n`);

    const syncs = run.calls.map((c, i) => ({ ...c, i })).filter((c) => c.name === 'fsync' || c.name === 'fdatasync');
    const fileSyncs = syncs.filter((c) => /\/etc\/pve\/lxc\/10[012]\.conf\.tmp\./.test(c.path ?? ''));
    const folderSyncs = syncs.filter((c) => c.path === join(root, 'etc/pve/lxc'));
    expect(fileSyncs).toHaveLength(3);
    expect(folderSyncs).toHaveLength(1);
    // The answers: the helper's writes to its stdout (a pipe or socket), not the temp files' content.
    const answers = run.calls.findIndex((c, i) => i > fileSyncs[0]!.i && c.name === 'write' && !(c.path ?? '').startsWith(root));
    expect(answers).toBeGreaterThan(folderSyncs[0]!.i);
  });
});
