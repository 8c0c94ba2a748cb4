/**
 * A write homeostat makes to a watched file is not drift; a change anyone else makes right after it still is. On
 * real hosts: this machine (inotify through the sandbox root) and a Host over a loopback sshd (the remote helper
 * writes, `inotifywait` over SSH reports), where the event can arrive before the write's answer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { silentLogger } from '../../reconcilers/core/log.js';
import type { Host } from '../../reconcilers/host/index.js';
import { HostPool } from '../../controller/runtime/hosts.js';
import { DriftWatches } from '../../controller/runtime/watches.js';
import { integration } from '../support/integration.js';
import { testResource } from '../support/resource.js';
import { sshdAvailable, startSshd, type TestSshd } from '../support/sshd.js';
import { sleep, waitUntil } from '../support/wait.js';
import { watchOnlyKind } from '../support/watch-only-kind.js';

const suite = integration('sshd and inotifywait', sshdAvailable(), 'openssh-server is not installed, or not root');

const fileKind = watchOnlyKind('File', 'local');

let dir: string;
let sshd: TestSshd;
let hosts: HostPool;
let watches: DriftWatches;
const drifted: string[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-own-writes-'));
  for (const root of ['local', 'remote']) mkdirSync(join(dir, root, 'etc/pve/lxc'), { recursive: true });
  drifted.length = 0;
  sshd = await startSshd();
  hosts = new HostPool({ manifestsDir: dir, stateDir: join(dir, 'state'), log: silentLogger });
  watches = new DriftWatches({ hosts, log: silentLogger, onDrift: (key) => drifted.push(key), event: () => {} });
  const ssh = { address: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile };
  await watches.syncHosts([
    testResource('Host', 'local', { root: join(dir, 'local') }),
    testResource('Host', 'remote', { root: join(dir, 'remote'), ssh }),
  ]);
});

afterEach(async () => {
  watches.closeAll();
  await hosts.closeAll();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG = '/etc/pve/lxc/100.conf';

async function watched(hostName: 'local' | 'remote'): Promise<Host> {
  const host = hosts.get(hostName)!;
  writeFileSync(join(dir, hostName, CONFIG), 'arch: amd64\n');
  const key = `File/${hostName}`;
  watches.ensure(key, testResource('File', hostName, { host: hostName, path: CONFIG }), fileKind, host);
  // Armed once a change by hand is seen (the SSH watch starts a remote inotifywait).
  await waitUntil('the watch is armed', async () => {
    writeFileSync(join(dir, hostName, CONFIG), 'arch: amd64\n');
    await sleep(100);
    return drifted.includes(key) || undefined;
  }, 10_000);
  await sleep(300);
  drifted.length = 0;
  return host;
}

for (const hostName of ['local', 'remote'] as const) {
  suite.it(`${hostName}: its own atomic write is not drift; a write by hand right after it is`, async () => {
    const host = await watched(hostName);
    await host.writeFileAtomic(CONFIG, 'arch: amd64\nlxc.cgroup2.devices.allow: c 10:200 rwm\n');
    await sleep(800);
    expect(drifted).toEqual([]);

    await host.writeFileAtomic(CONFIG, 'arch: amd64\nhostname: a\n');
    writeFileSync(join(dir, hostName, CONFIG), 'arch: amd64\nhostname: by hand\n'); // in place, right after
    await waitUntil('the change by hand is seen', () => drifted.length > 0 || undefined, 5000);
    expect(drifted).toContain(`File/${hostName}`);
  });
}

suite.it('remote: a config written under the container lock (one helper request) is not drift', async () => {
  const host = await watched('remote');
  const current = Buffer.from('arch: amd64\n');
  expect(await host.tryWriteUnderLock!(CONFIG, Buffer.from('arch: amd64\nfeatures: nesting=1\n'), { lockPath: '/run/lock/lxc/pve-config-100.lock', expected: current })).toBe(true);
  await sleep(800);
  expect(drifted).toEqual([]);
});
