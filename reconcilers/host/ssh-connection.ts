/**
 * One SSH connection per host, shared by every operation: connected lazily, host key verified, one SFTP
 * session on it, exec channels limited (sshd's MaxSessions defaults to 10), keepalive, and after a drop
 * reconnected on the next use with exponential backoff between failed attempts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { HostError, isHostError } from './host.js';
import type { HostKeyPolicy } from './host-key-policy.js';

export interface SshConnectionOptions {
  hostName: string;
  address: string;
  port: number;
  user: string;
  identityFile?: string;
  agent?: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Concurrent exec channels (the SFTP session and watch streams are on top). Default 5. */
  maxExecChannels?: number;
  hostKeys: HostKeyPolicy;
  log?: Logger;
}

/** ssh2, loaded with the first connection (~50 ms to load, which a command or a lab without SSH Hosts never pays). */
const requireHere = createRequire(import.meta.url);
const ssh2Client = (): typeof Client => (requireHere('ssh2') as typeof import('ssh2')).Client;

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10_000;
const OPEN_RETRIES_MS = [20, 50, 100, 200, 400];

/** A counting semaphore for channels. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

export class SshConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private failures = 0;
  private nextAttemptAt = 0;
  private closed = false;
  private readonly execSlots: Slots;
  /** Increments on every new connection: lets callers tell that the connection they used has gone. */
  generation = 0;

  constructor(private readonly opts: SshConnectionOptions) {
    this.execSlots = new Slots(opts.maxExecChannels ?? 5);
  }

  /** The connected client, connecting (after any backoff) when needed. */
  async get(): Promise<Client> {
    if (this.closed) throw new HostError('ECONNECTION', `ssh ${this.opts.address}: host closed`, this.opts.hostName);
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Connects after any backoff; without one, the attempt starts in this very tick (see `attempt`). */
  private async connect(): Promise<Client> {
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      const client = await this.attempt();
      this.failures = 0;
      this.nextAttemptAt = 0;
      return client;
    } catch (err) {
      this.failures++;
      const delay = Math.min(BACKOFF_MIN_MS * 2 ** (this.failures - 1), BACKOFF_MAX_MS);
      this.nextAttemptAt = Date.now() + delay;
      this.opts.log?.warn({ err: (err as Error).message, retryInMs: delay }, 'ssh: connection failed');
      throw err;
    }
  }

  /**
   * One connection attempt. Everything up to the socket's connect runs synchronously (no await before it), so
   * that a connection asked for early (Host.warmUp) is under way while the caller goes on with other work.
   */
  private attempt(): Promise<Client> {
    try {
      return this.startAttempt();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private startAttempt(): Promise<Client> {
    const { opts } = this;
    const where = `ssh ${opts.user}@${opts.address}:${opts.port}`;
    const serverHostKey = opts.hostKeys.hostKeyAlgorithms();
    let hostKeyError: HostError | undefined;
    const config: ConnectConfig = {
      host: opts.address,
      port: opts.port,
      username: opts.user,
      readyTimeout: opts.connectTimeoutMs,
      keepaliveInterval: opts.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        opts.hostKeys.verify(key).then(
          () => verify(true),
          (err: unknown) => {
            hostKeyError = isHostError(err)
              ? err
              : new HostError('EHOSTKEY', `${where}: host key check failed: ${String(err)}`, opts.hostName, undefined, { cause: err });
            verify(false);
          },
        );
      },
      ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as never } } : {}),
    };
    if (opts.identityFile) {
      try {
        config.privateKey = readFileSync(opts.identityFile);
      } catch (err) {
        throw new HostError('EACCES', `${where}: cannot read identityFile ${opts.identityFile}`, opts.hostName, undefined, { cause: err });
      }
    }
    if (opts.agent) {
      if (!process.env.SSH_AUTH_SOCK) throw new HostError('EACCES', `${where}: agent requested but SSH_AUTH_SOCK is not set`, opts.hostName);
      config.agent = process.env.SSH_AUTH_SOCK;
    }

    const client = new (ssh2Client())();
    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      client.once('ready', () => {
        ready = true;
        if (this.closed) {
          client.end();
          reject(new HostError('ECONNECTION', `${where}: host closed`, opts.hostName));
          return;
        }
        this.client = client;
        this.generation++;
        opts.log?.debug({ generation: this.generation }, 'ssh: connected');
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (ready) {
          opts.log?.warn({ err: err.message }, 'ssh: connection error');
          return;
        }
        if (hostKeyError) reject(hostKeyError);
        else if (err.level === 'client-authentication') {
          reject(new HostError('EACCES', `${where}: authentication failed`, opts.hostName, undefined, { cause: err }));
        } else if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
          reject(new HostError('ETIMEDOUT', `${where}: connect timed out after ${opts.connectTimeoutMs} ms`, opts.hostName, undefined, { cause: err }));
        } else {
          reject(new HostError('ECONNECTION', `${where}: ${err.message}`, opts.hostName, undefined, { cause: err }));
        }
      });
      client.on('close', () => {
        if (!ready) {
          reject(hostKeyError ?? new HostError('ECONNECTION', `${where}: connection closed during handshake`, opts.hostName));
          return;
        }
        if (this.client === client) {
          this.client = undefined;
          this.sftpSession = undefined;
          opts.log?.info('ssh: connection closed; reconnecting on next use');
        }
      });
      client.connect(config);
      // ssh2 leaves Nagle on: a request written while the previous one is unacknowledged waits for the peer's
      // delayed ACK (~40 ms on Linux). Every helper request and channel open would pay it.
      client.setNoDelay(true);
    });
  }

  /** The SFTP session of the current connection (opened once per connection). */
  async sftp(): Promise<SFTPWrapper> {
    const client = await this.get();
    if (this.sftpSession && this.client === client) return this.sftpSession;
    const session = new Promise<SFTPWrapper>((resolve, reject) => {
      client.sftp((err, sftp) => {
        if (err) {
          reject(new HostError('ECONNECTION', `ssh ${this.opts.address}: cannot open SFTP: ${err.message}`, this.opts.hostName, undefined, { cause: err }));
          return;
        }
        sftp.on('close', () => {
          if (this.sftpSession === session) this.sftpSession = undefined;
        });
        resolve(sftp);
      });
    });
    this.sftpSession = session;
    session.catch(() => {
      if (this.sftpSession === session) this.sftpSession = undefined;
    });
    return session;
  }

  /** A TCP connection from the remote machine to `hostname:port` (OpenSSH direct-tcpip), over this connection. */
  async forwardTcp(hostname: string, port: number): Promise<ClientChannel> {
    const client = await this.get();
    return new Promise<ClientChannel>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, hostname, port, (err, stream) => {
        if (err) {
          reject(new HostError('ECONNECTION', `ssh ${this.opts.address}: cannot reach ${hostname}:${port} from there: ${err.message}`, this.opts.hostName, undefined, { cause: err }));
          return;
        }
        resolve(stream);
      });
    });
  }

  /**
   * A stream to a Unix socket on the remote machine (OpenSSH's direct-streamlocal forwarding), over this shared
   * connection: how the Docker engine of an SSH Host is reached, without a docker CLI on the remote.
   */
  async openStreamLocal(socketPath: string): Promise<ClientChannel> {
    const client = await this.get();
    return new Promise<ClientChannel>((resolve, reject) => {
      client.openssh_forwardOutStreamLocal(socketPath, (err, stream) => {
        if (err) {
          reject(new HostError('ECONNECTION', `ssh ${this.opts.address}: cannot reach ${socketPath}: ${err.message}`, this.opts.hostName, socketPath, { cause: err }));
          return;
        }
        resolve(stream);
      });
    });
  }

  /**
   * Opens an exec channel for `command` (already quoted) and hands it to `attach` *synchronously*, before
   * any of its events can fire (output, exit status and close may arrive in the same packet as the
   * channel's confirmation). `long` channels (watch streams) do not take an exec slot. Resolves with
   * `release`, which must be called once the channel is done.
   */
  async openExec(command: string, attach: (channel: ClientChannel, release: () => void) => void, long = false): Promise<void> {
    const release = long ? () => undefined : await this.execSlots.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        const client = await this.get();
        try {
          return await this.execOn(client, command, attach, release);
        } catch (err) {
          // sshd counts a session until it has reaped its process, a little after the channel closed: a burst
          // of execs can briefly hit MaxSessions ("open failed"). Wait a moment and try again.
          if (!isHostError(err, 'ECONNECTION') || !this.connected || attempt >= OPEN_RETRIES_MS.length) throw err;
          await new Promise((resolve) => setTimeout(resolve, OPEN_RETRIES_MS[attempt]));
        }
      }
    } catch (err) {
      release();
      throw err;
    }
  }

  private execOn(client: Client, command: string, attach: (channel: ClientChannel, release: () => void) => void, release: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      client.exec(command, (err, channel) => {
        if (err) {
          reject(new HostError('ECONNECTION', `ssh ${this.opts.address}: cannot open a session: ${err.message}`, this.opts.hostName, undefined, { cause: err }));
          return;
        }
        try {
          attach(channel, release);
          resolve();
        } catch (attachErr) {
          channel.close();
          reject(attachErr);
        }
      });
    });
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.sftpSession = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }
}
