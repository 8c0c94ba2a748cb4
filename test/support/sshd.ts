/**
 * A real OpenSSH server for integration tests: `/usr/sbin/sshd -D -e` on 127.0.0.1, a free port, generated
 * host and client keys in a temp dir. Logs in as `homeostat-test`, a uid-0 user whose shell is /bin/sh
 * (root's ~/.bashrc here runs pyenv init and makes every exec cost ~0.55 s). `restart()` kills the
 * listener *and* its session processes, so clients really lose their connection. `stop()` removes everything.
 * Set `SSHD_DEBUG=1` to see sshd's own log on stderr. `{ env }` sets the sessions' environment (SetEnv), e.g.
 * `startSshd({ env: pctSshdEnv(root) })` for a host whose `pct` is the stand-in on `root`. Several run at once.
 *
 * With `{ netns }` sshd runs inside that network namespace instead, started per connection in inetd mode
 * (`ip netns exec NS sshd -i`) behind a loopback listener of the test process that only relays bytes: whatever
 * sshd connects to (forwarded TCP) is the namespace's own loopback, which nothing outside can reach.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './wait.js';

export const SSHD_PATH = '/usr/sbin/sshd';
export const TEST_USER = 'homeostat-test';

/** How an SshHost logs in to a test sshd (key and known_hosts it generated): spread into SshHost options. */
export function sshLoginOf(server: TestSshd): { address: string; port: number; user: string; identityFile: string; knownHostsFile: string } {
  return { address: '127.0.0.1', port: server.port, user: server.user, identityFile: server.identityFile, knownHostsFile: server.knownHostsFile };
}

export interface TestSshd {
  port: number;
  user: string;
  /** Private key the test user is authorized with. */
  identityFile: string;
  /** A known_hosts file holding the host key for `[127.0.0.1]:port`. */
  knownHostsFile: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** The host public key line (`ssh-ed25519 AAAA...`). */
  hostPublicKey: string;
  dir: string;
  stop(): Promise<void>;
  /** Stops the listener and every session it started, then starts it again on the same port and key. */
  restart(): Promise<void>;
  /** Generates a new host key (the next restart serves it). Returns its public key line. */
  rotateHostKey(): string;
}

export interface SshdOptions {
  /** A network namespace (`ip netns add`) to run sshd in. */
  netns?: string;
  /**
   * Environment of every session (sshd_config `SetEnv`; it overrides sshd's own PATH, also for the uid-0
   * test user, whose /bin/sh -c reads no profile). E.g. `pctSshdEnv(root)` from lxc.ts: `pct` is the stand-in.
   */
  env?: Record<string, string>;
}

/**
 * The `SetEnv` line for `env` (none when empty). sshd takes only the first SetEnv line, so every variable is
 * on one line, each `"NAME=value"` quoted.
 */
export function sshdSetEnvLines(env: Record<string, string> = {}): string[] {
  const entries = Object.entries(env);
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`startSshd: bad environment variable name ${JSON.stringify(name)}`);
    if (/["\\\n\r]/.test(value)) throw new Error(`startSshd: ${name}'s value cannot be quoted in sshd_config: ${JSON.stringify(value)}`);
  }
  return entries.length ? [`SetEnv ${entries.map(([name, value]) => `"${name}=${value}"`).join(' ')}`] : [];
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD_PATH) && existsSync('/usr/bin/ssh-keygen') && process.getuid?.() === 0;
}

/**
 * Creates the uid-0 test user once (idempotent, tolerant of a concurrent creation). Its password field is
 * `*` (no password, not locked): with `UsePAM no` sshd refuses even key logins to a locked (`!`) account.
 */
export function ensureTestUser(): void {
  const passwdHasUser = (): boolean => readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${TEST_USER}:`));
  const isLocked = (): boolean =>
    readFileSync('/etc/shadow', 'utf8').split('\n').some((l) => l.startsWith(`${TEST_USER}:!`));
  if (!passwdHasUser()) {
    try {
      execFileSync('useradd', ['-o', '-u', '0', '-g', '0', '-M', '-d', '/root', '-s', '/bin/sh', '-p', '*', TEST_USER], { stdio: 'pipe' });
    } catch (err) {
      if (!passwdHasUser()) throw err;
    }
  }
  if (isLocked()) execFileSync('usermod', ['-p', '*', TEST_USER], { stdio: 'pipe' });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Pids of processes whose parent is `pid` (sshd's per-connection session processes). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    if (new RegExp(`^PPid:\\s+${pid}$`, 'm').test(status)) children.push(Number(entry));
  }
  return children;
}

function killPid(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

function generateKey(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'homeostat-test', '-f', path], { stdio: 'pipe' });
}

function fingerprintOf(publicKeyPath: string): string {
  const line = execFileSync('ssh-keygen', ['-lf', publicKeyPath], { encoding: 'utf8' });
  const fingerprint = line.split(' ')[1];
  if (!fingerprint?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -lf output: ${line}`);
  return fingerprint;
}

export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  ensureTestUser();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const dir = await mkdtemp(join(tmpdir(), 'homeostat-sshd-'));
  const port = await freePort();
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  generateKey(hostKey);
  generateKey(clientKey);
  await writeFile(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      `AllowUsers ${TEST_USER}`,
      'PrintMotd no',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      ...sshdSetEnvLines(opts.env),
      '',
    ].join('\n'),
  );
  const knownHostsFile = join(dir, 'known_hosts');
  const writeKnownHosts = async (): Promise<string> => {
    const publicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${publicKey}\n`);
    return publicKey;
  };
  const hostPublicKey = await writeKnownHosts();

  let child: ChildProcess | undefined;
  let stderr = '';
  const relay = opts.netns === undefined ? undefined : inetdRelay(opts.netns, config, (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const launch = async (): Promise<void> => {
    stderr = '';
    if (relay) return relay.listen(port);
    const proc = spawn(SSHD_PATH, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (process.env.SSHD_DEBUG) process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const deadline = Date.now() + 10_000;
    while (!(await portAnswers(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`sshd did not start (exit ${proc.exitCode}): ${stderr}`);
      }
      await sleep(25);
    }
  };
  const halt = async (): Promise<void> => {
    if (relay) return relay.close();
    const proc = child;
    child = undefined;
    if (!proc?.pid || proc.exitCode !== null) return;
    const sessions = await childrenOf(proc.pid);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    killPid(proc.pid);
    for (const pid of sessions) killPid(pid);
    await Promise.race([exited, sleep(5000)]);
    if (proc.exitCode === null) killPid(proc.pid, 'SIGKILL');
    for (const pid of sessions) killPid(pid, 'SIGKILL');
  };

  await launch();
  const server: TestSshd = {
    port,
    user: TEST_USER,
    identityFile: clientKey,
    knownHostsFile,
    hostKeyFingerprint: fingerprintOf(`${hostKey}.pub`),
    hostPublicKey,
    dir,
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      await launch();
    },
    rotateHostKey() {
      execFileSync('rm', ['-f', hostKey, `${hostKey}.pub`]);
      generateKey(hostKey);
      return readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    },
  };
  return server;
}

/** A loopback listener that hands every connection to a fresh `sshd -i` inside the namespace (stdin/stdout relayed). */
function inetdRelay(netns: string, config: string, log: (chunk: string) => void): { listen(port: number): Promise<void>; close(): Promise<void> } {
  let server: Server | undefined;
  const sessions = new Set<{ socket: Socket; proc: ChildProcess }>();
  return {
    async listen(port) {
      server = createServer((socket) => {
        const proc = spawn('ip', ['netns', 'exec', netns, SSHD_PATH, '-i', '-e', '-f', config], { stdio: ['pipe', 'pipe', 'pipe'] });
        const session = { socket, proc };
        sessions.add(session);
        socket.pipe(proc.stdin!);
        proc.stdout!.pipe(socket);
        proc.stderr!.on('data', (chunk: Buffer) => {
          if (process.env.SSHD_DEBUG) process.stderr.write(chunk);
          log(chunk.toString());
        });
        proc.stdin!.on('error', () => socket.destroy());
        socket.on('error', () => proc.kill());
        socket.on('close', () => proc.kill());
        proc.on('exit', () => {
          sessions.delete(session);
          socket.destroy();
        });
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async close() {
      const listening = server;
      server = undefined;
      const exits = [...sessions].map(({ socket, proc }) => {
        socket.destroy();
        const exited = proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        if (proc.pid) killPid(proc.pid);
        return Promise.race([exited, sleep(5000)]);
      });
      await Promise.all(exits);
      if (listening) await new Promise<void>((resolve) => listening.close(() => resolve()));
    },
  };
}
