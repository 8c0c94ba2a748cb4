/**
 * SshHost against a real OpenSSH sshd on 127.0.0.1: the shared behavioural suite (with a remote temp root,
 * which is on this same machine), then what only SSH has: host key policy (known_hosts, pinning, TOFU,
 * changed keys), surviving an sshd restart, batched stat, and watching by polling.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHostError, SshHost, type SshHostOptions, type WatchEvent } from '../../reconcilers/host/index.js';
import { MAX_HELPER_FILE_BYTES } from '../../reconcilers/host/ssh-helper-script.js';
import { hostBehaviour } from '../support/host-behaviour.js';
import { canMount, integration } from '../support/integration.js';
import { sshdAvailable, startSshd, type TestSshd, sshLoginOf } from '../support/sshd.js';
import { waitUntil } from '../support/wait.js';

const sshd = integration('sshd', sshdAvailable(), 'needs /usr/sbin/sshd, ssh-keygen and root (to create the uid-0 test user)');

let server: TestSshd;
let scratch: string;
const hosts: SshHost[] = [];

/** An SshHost for the test server; closed after the file. */
function sshHost(overrides: Partial<SshHostOptions> = {}): SshHost {
  const host = new SshHost({
    name: 'ssh-test',
    ...sshLoginOf(server),
    connectTimeoutMs: 5000,
    operationTimeoutMs: 10_000,
    ...overrides,
  });
  hosts.push(host);
  return host;
}

/** Processes on this machine (where sshd runs) whose command line contains `needle`. */
function remoteProcesses(needle: string): string {
  try {
    return execFileSync('pgrep', ['-f', '--', needle], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

const errorOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (e: unknown) => e);

sshd.describe('SshHost against a real sshd', () => {
  beforeAll(async () => {
    server = await startSshd();
    scratch = await mkdtemp(join(tmpdir(), 'homeostat-ssh-'));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  describe('behaves like every Host (remote temp root)', () => {
    hostBehaviour(async () => {
      const realRoot = await mkdtemp(join(tmpdir(), 'homeostat-sshroot-'));
      const host = sshHost({ root: realRoot });
      return {
        host,
        realRoot,
        cleanup: async () => {
          await host.close();
          await rm(realRoot, { recursive: true, force: true });
        },
      };
    });
  });

  describe('a sandbox root', () => {
    let realRoot: string;
    let host: SshHost;
    beforeAll(async () => {
      realRoot = await mkdtemp(join(tmpdir(), 'homeostat-sshroot-'));
      host = sshHost({ root: realRoot });
    });
    afterAll(async () => {
      await rm(realRoot, { recursive: true, force: true });
    });

    it('identical reads of one tick are asked once; a read queued after a write in the same tick reads what it wrote', async () => {
      await host.mkdir('/dev/net', { recursive: true });
      await host.writeFileAtomic('/dev/net/probe', 'one\n');
      const helper = (host as unknown as { helper: { requestsSent: number } }).helper;
      const before = helper.requestsSent;
      const stats = await Promise.all(Array.from({ length: 50 }, () => host.stat('/dev/net/probe')));
      expect(helper.requestsSent - before).toBe(1);
      expect(new Set(stats.map((s) => JSON.stringify(s))).size).toBe(1);
      expect(stats[0]).toMatchObject({ type: 'file', size: 4 });
      const [first, , second, third] = await Promise.all([
        host.readFile('/dev/net/probe'),
        host.writeFileAtomic('/dev/net/probe', 'two\n'),
        host.readFile('/dev/net/probe'),
        host.readFile('/dev/net/probe'),
      ]);
      expect([first.toString(), second.toString(), third.toString()]).toEqual(['one\n', 'two\n', 'two\n']);
    });

    it('acts through the remote helper only: no SFTP session is ever opened', async () => {
      await host.mkdir('/etc/pve/lxc', { recursive: true });
      await host.writeFileAtomic('/etc/pve/lxc/100.conf', 'arch: amd64\n', { expected: null });
      await host.chmod('/etc/pve/lxc/100.conf', 0o640);
      await host.chown('/etc/pve/lxc/100.conf', 0, 0);
      await host.link('/etc/pve/lxc/100.conf', '/etc/pve/lxc/101.conf');
      await host.rename('/etc/pve/lxc/101.conf', '/etc/pve/lxc/102.conf');
      expect(await host.readdir('/etc/pve/lxc')).toEqual(['100.conf', '102.conf']);
      expect((await host.readFile('/etc/pve/lxc/102.conf')).toString()).toBe('arch: amd64\n');
      expect(await host.stat('/etc/pve/lxc/100.conf')).toMatchObject({ type: 'file', mode: 0o640, nlink: 2 });
      await host.unlink('/etc/pve/lxc/102.conf');
      expect(await host.isMountpoint('/etc')).toBe(false);
      const connection = (host as unknown as { connection: { sftpSession: unknown } }).connection;
      expect(connection.sftpSession).toBeUndefined();
    });

    it(`refuses files over ${MAX_HELPER_FILE_BYTES / (1024 * 1024)} MiB both ways, naming the host path, and leaves nothing behind`, async () => {
      await host.mkdir('/big');
      const tooLarge = Buffer.alloc(MAX_HELPER_FILE_BYTES + 1, 0x61);
      const write = await errorOf(host.writeFileAtomic('/big/file', tooLarge));
      expect(isHostError(write, 'EIO')).toBe(true);
      expect((write as Error).message).toMatch(/^write \/big\/file: .*8388608/);
      await writeFile(join(realRoot, 'big/placed'), tooLarge);
      const read = await errorOf(host.readFile('/big/placed'));
      expect(isHostError(read, 'EIO')).toBe(true);
      expect((read as Error).message).toMatch(/^read \/big\/placed: the file is larger than 8388608 bytes/);
      expect((read as Error).message).not.toContain(realRoot);
      const fits = Buffer.alloc(MAX_HELPER_FILE_BYTES, 0x62);
      await host.writeFileAtomic('/big/fits', fits);
      expect((await host.readFile('/big/fits')).equals(fits)).toBe(true);
      expect(await host.readdir('/big')).toEqual(['fits', 'placed']);
    });
  });

  describe('host keys', () => {
    it('refuses an unknown host key with EHOSTKEY, showing the offered fingerprint', async () => {
      const knownHostsFile = join(scratch, 'empty_known_hosts');
      await writeFile(knownHostsFile, '# nothing known\n');
      const err = await errorOf(sshHost({ knownHostsFile }).exec(['true']));
      expect(isHostError(err, 'EHOSTKEY')).toBe(true);
      expect((err as Error).message).toContain(server.hostKeyFingerprint);
      expect((err as Error).message).toMatch(/unknown/);
    });

    it('trusts on first use when asked: writes known_hosts, then verifies against it', async () => {
      const knownHostsFile = join(scratch, 'tofu', 'known_hosts');
      const host = sshHost({ knownHostsFile, trustOnFirstUse: true });
      expect((await host.exec(['echo', 'hi'])).stdout).toBe('hi\n');
      const recorded = await readFile(knownHostsFile, 'utf8');
      expect(recorded).toBe(`[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`);
      // A second host (fresh connection) without TOFU now trusts it from the file.
      expect((await sshHost({ knownHostsFile }).exec(['true'])).code).toBe(0);
    });

    it('accepts hashed known_hosts entries', async () => {
      const { createHmac, randomBytes } = await import('node:crypto');
      const salt = randomBytes(20);
      const hash = createHmac('sha1', salt).update(`[127.0.0.1]:${server.port}`).digest('base64');
      const knownHostsFile = join(scratch, 'hashed_known_hosts');
      await writeFile(knownHostsFile, `|1|${salt.toString('base64')}|${hash} ${server.hostPublicKey}\n`);
      expect((await sshHost({ knownHostsFile }).exec(['true'])).code).toBe(0);
    });

    it('refuses a changed host key, even with trust-on-first-use', async () => {
      const otherKey = join(scratch, 'other_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
      const otherPublic = (await readFile(`${otherKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
      const knownHostsFile = join(scratch, 'changed_known_hosts');
      const contents = `[127.0.0.1]:${server.port} ${otherPublic}\n`;
      await writeFile(knownHostsFile, contents);
      for (const trustOnFirstUse of [false, true]) {
        const err = await errorOf(sshHost({ knownHostsFile, trustOnFirstUse }).exec(['true']));
        expect(isHostError(err, 'EHOSTKEY')).toBe(true);
        expect((err as Error).message).toMatch(/CHANGED/);
        expect((err as Error).message).toContain(server.hostKeyFingerprint);
      }
      expect(await readFile(knownHostsFile, 'utf8')).toBe(contents);
    });

    it('pins a fingerprint instead of known_hosts', async () => {
      const pinned = sshHost({ knownHostsFile: join(scratch, 'none'), hostKeyFingerprint: server.hostKeyFingerprint });
      expect((await pinned.exec(['true'])).code).toBe(0);
      const wrong = sshHost({ hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      const err = await errorOf(wrong.exec(['true']));
      expect(isHostError(err, 'EHOSTKEY')).toBe(true);
      expect((err as Error).message).toContain(server.hostKeyFingerprint);
    });
  });

  describe('connection', () => {
    it('coalesces stat calls made in the same tick into one exec', async () => {
      const host = sshHost();
      await host.exec(['true']); // connected
      const batcher = (host as unknown as { stats: { execCount: number } }).stats;
      const before = batcher.execCount;
      const results = await Promise.all(['/etc/passwd', '/dev/null', '/nonexistent', '/etc', '/tmp'].map((p) => host.stat(p)));
      expect(batcher.execCount - before).toBe(1);
      expect(results.map((r) => r?.type ?? null)).toEqual(['file', 'char', null, 'directory', 'directory']);
    });

    it('shares one connection between all operations', async () => {
      const host = sshHost();
      const generation = () => (host as unknown as { connection: { generation: number } }).connection.generation;
      await Promise.all([
        host.exec(['true']),
        host.readFileIfExists('/etc/hostname'),
        host.stat('/etc'),
        ...Array.from({ length: 12 }, () => host.exec(['echo', 'x'])),
        ...Array.from({ length: 30 }, () => host.readFile('/etc/passwd')),
      ]);
      expect(generation()).toBe(1);
    });

    it('warmUp connects and starts the remote helper before any call, and the first call uses them', async () => {
      const host = sshHost({ root: scratch });
      const internals = host as unknown as { connection: { generation: number }; helper: { running: boolean; requestsSent: number } };
      host.warmUp();
      expect(internals.helper.running).toBe(true); // started in the same tick
      await waitUntil('connected by warmUp alone', () => internals.connection.generation === 1, 5000);
      expect(internals.helper.requestsSent).toBe(0);
      expect(await host.stat('/')).not.toBeNull();
      expect(internals.connection.generation).toBe(1); // no second connection
      expect(internals.helper.requestsSent).toBe(1);
    });

    it('warmUp against a host that refuses the login throws nothing; the first call reports it', async () => {
      const strangerKey = join(scratch, 'stranger-warm_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', strangerKey]);
      const host = sshHost({ identityFile: strangerKey, root: scratch });
      expect(() => host.warmUp()).not.toThrow();
      const err = await errorOf(host.stat('/'));
      expect(isHostError(err, 'EACCES')).toBe(true);
    });

    it('authenticates through an ssh-agent', async () => {
      const socket = join(scratch, 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
      const previous = process.env.SSH_AUTH_SOCK;
      try {
        await waitUntil('agent socket', () => existsSync(socket), 5000);
        execFileSync('ssh-add', ['-q', server.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
        process.env.SSH_AUTH_SOCK = socket;
        const host = sshHost({ identityFile: undefined, agent: true });
        expect((await host.exec(['echo', 'via agent'])).stdout).toBe('via agent\n');
      } finally {
        if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = previous;
        if (agent.pid) process.kill(agent.pid);
      }
    });

    it('refuses a key the server does not accept with EACCES', async () => {
      const strangerKey = join(scratch, 'stranger_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', strangerKey]);
      const err = await errorOf(sshHost({ identityFile: strangerKey }).exec(['true']));
      expect(isHostError(err, 'EACCES')).toBe(true);
    });

    it('survives sshd being restarted mid-run', async () => {
      const host = sshHost();
      expect((await host.exec(['echo', 'before'])).stdout).toBe('before\n');
      await host.stat('/etc/passwd');
      await server.restart();
      // The connection was killed with sshd; the next operations reconnect.
      expect((await host.readFile('/etc/hostname')).length).toBeGreaterThan(0);
      expect((await host.exec(['echo', 'after'])).stdout).toBe('after\n');
    });

    it('times out an operation with ETIMEDOUT when the server does not answer', async () => {
      const { createServer } = await import('node:net');
      // A TCP listener that never speaks SSH.
      const silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as { port: number }).port;
      try {
        const host = sshHost({ port, connectTimeoutMs: 500, operationTimeoutMs: 5000 });
        const err = await errorOf(host.readFile('/etc/hostname'));
        expect(isHostError(err, 'ETIMEDOUT')).toBe(true);
      } finally {
        silent.close();
      }
    });
  });

  describe('watch', () => {
    it('uses inotifywait when the host has it', async () => {
      const host = sshHost();
      const handle = host.watch([join(scratch, 'inotify-probe')], () => undefined);
      await handle.ready;
      expect(host.watchMode).toBe('inotify');
      handle.close();
    });

    it('reports a tmpfs unmount through inotifywait', async () => {
      if (!canMount()) return;
      const host = sshHost();
      const disk = join(scratch, 'disk');
      await host.mkdir(disk);
      execFileSync('mount', ['-t', 'tmpfs', 'none', disk]);
      let mounted = true;
      const events: WatchEvent[] = [];
      const handle = host.watch([disk], (e) => events.push(e));
      try {
        await handle.ready;
        expect(await host.isMountpoint(disk)).toBe(true);
        await writeFile(join(disk, 'inside'), 'x');
        await waitUntil('event inside the mount', () => events.some((e) => e.path === join(disk, 'inside')), 1500);
        execFileSync('umount', [disk]);
        mounted = false;
        await waitUntil('unmount event', () => events.some((e) => e.path === disk && e.kind === 'unmount'), 1500);
        expect(await host.isMountpoint(disk)).toBe(false);
      } finally {
        handle.close();
        if (mounted) execFileSync('umount', [disk]);
      }
    });

    it('closing a watch stops the remote inotifywait; an exec timeout kills the remote program', async () => {
      const host = sshHost();
      const marker = join(scratch, `watch-marker-${process.pid}`);
      const handle = host.watch([marker], () => undefined);
      await handle.ready;
      expect(remoteProcesses(marker)).not.toBe('');
      handle.close();
      await waitUntil('inotifywait gone', () => remoteProcesses(marker) === '', 3000);
      const err = await errorOf(host.exec(['sleep', '31.25'], { timeoutMs: 300 }));
      expect(isHostError(err, 'ETIMEDOUT')).toBe(true);
      await waitUntil('sleep gone', () => remoteProcesses('sleep 31.25') === '', 3000);
    });

    it('keeps watching across an sshd restart, reporting the blind spell', async () => {
      const host = sshHost();
      const file = join(scratch, 'survivor.conf');
      const events: WatchEvent[] = [];
      const handle = host.watch([file], (e) => events.push(e));
      try {
        await handle.ready;
        await server.restart();
        // One event when the stream breaks, one when the new stream is established.
        await waitUntil('events around the restart', () => events.filter((e) => e.path === file).length >= 2, 5000);
        const mark = events.length;
        await writeFile(file, 'after restart');
        await waitUntil('event after re-arming', () => events.slice(mark).some((e) => e.path === file), 1500);
      } finally {
        handle.close();
      }
    });

    it('falls back to polling and still notices a change', async () => {
      const host = sshHost({ forcePolling: true, pollIntervalMs: 150 });
      const file = join(scratch, 'polled.conf');
      const events: WatchEvent[] = [];
      const handle = host.watch([file], (e) => events.push(e));
      try {
        await handle.ready;
        expect(host.watchMode).toBe('poll');
        await writeFile(file, 'one');
        await waitUntil('poll event for the new file', () => events.some((e) => e.path === file && e.kind === 'poll'), 2000);
        const mark = events.length;
        await writeFile(file, 'two!');
        await waitUntil('poll event for the change', () => events.length > mark, 2000);
      } finally {
        handle.close();
      }
    });
  });
});

describe('SshHost without a server', () => {
  it('refuses a relative root', () => {
    expect(() => new SshHost({ name: 'x', address: '127.0.0.1', root: 'relative' })).toThrow(/absolute/);
  });
});

