/**
 * The client side of the remote helper (ssh-helper-script.ts): one long-lived `perl` process per connection,
 * started on first use over an exec channel, serving requests one line each (`ID OP ARG...`, every word
 * base64-encoded, so arguments are data, never script) and answering one framed line each (`ID OK B64` or
 * `ID ERR ERRNO B64`; file content travels the same way, up to MAX_HELPER_FILE_BYTES). Every call has a
 * deadline: on timeout the call rejects with ETIMEDOUT and the process is killed (by the pid the command line
 * reports) and started again on the next call. A dropped connection rejects what is pending (ECONNECTION).
 */
import type { ClientChannel } from 'ssh2';
import { HostError, type FileStat, type HostErrorCode } from './host.js';
import { parseStatFields } from './file-stat.js';
import { HELPER_SCRIPT } from './ssh-helper-script.js';
import type { SshConnection } from './ssh-connection.js';
import { killRemote, pidReportingCommand, takePidLine } from './ssh-exec.js';

const CODES: ReadonlySet<string> = new Set<HostErrorCode>([
  'ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EXDEV', 'EACCES', 'EPERM', 'ECONFLICT', 'EESCAPE',
]);

/** One argument of a request: text (sent as UTF-8) or bytes (file content). */
export type HelperWord = string | Buffer;

interface Pending {
  resolve(payload: Buffer): void;
  reject(err: HostError): void;
}

/** Ops that only read: identical ones in one tick are sent once (see HelperProcess.sharedReads). */
const READ_ONLY_OPS: ReadonlySet<string> = new Set(['stat', 'read', 'readdir', 'mountpoint', 'resolve']);

/** One running helper process. */
class HelperProcess {
  private readonly pending = new Map<number, Pending>();
  /** The start of a line not yet complete (its chunks, joined once the newline arrives). */
  private partial: Buffer[] = [];
  private stderr = '';
  /** Request lines of this tick, not yet written. */
  private outgoing: string[] = [];
  /**
   * The read-only requests of this tick by their words (the id of the one that is sent): an identical one made in
   * the same tick shares its answer (a hundred containers on a host stat /dev/net/tun in the same pass). A request
   * that changes something ends the sharing: a read queued after it is sent again, so it reads what it changed.
   */
  private sharedReads = new Map<string, number>();
  /** Ids waiting for the answer of another id's identical read. */
  private followers = new Map<number, number[]>();
  private pid: number | undefined;
  private channel: ClientChannel | undefined;
  private exitCode: number | undefined;
  dead = false;
  readonly started: Promise<void>;

  constructor(
    private readonly connection: SshConnection,
    private readonly hostName: string,
    private readonly onRequestSent: () => void = () => {},
  ) {
    this.started = connection.openExec(pidReportingCommand(['perl', '-e', HELPER_SCRIPT]), (channel, release) => this.attach(channel, release), true);
    this.started.catch(() => (this.dead = true));
  }

  private attach(channel: ClientChannel, release: () => void): void {
    this.channel = channel;
    channel.on('data', (chunk: Buffer) => this.onData(chunk));
    channel.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2000)));
    channel.on('exit', (code: number | null) => (this.exitCode = code ?? undefined));
    channel.on('error', () => undefined);
    channel.on('close', () => {
      release();
      this.dead = true;
      const why =
        this.exitCode === 127
          ? new HostError('EIO', `the remote helper needs perl, which is not installed on the host: ${this.stderr.trim()}`, this.hostName)
          : new HostError('ECONNECTION', `the remote helper ended (exit ${this.exitCode ?? 'unknown'})${this.stderr.trim() ? `: ${this.stderr.trim().split('\n')[0]}` : ''}`, this.hostName);
      for (const p of this.pending.values()) p.reject(why);
      this.pending.clear();
    });
  }

  /** Splits stdout into lines; a long answer (file content) is gathered chunk by chunk and joined once. */
  private onData(chunk: Buffer): void {
    if (this.pid === undefined) {
      const split = takePidLine(Buffer.concat([...this.partial, chunk]));
      this.partial = [];
      if (split.pid === undefined) {
        this.partial.push(split.rest);
        return;
      }
      this.pid = split.pid;
      chunk = split.rest;
    }
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a)) {
      this.partial.push(chunk.subarray(0, newline));
      const line = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial);
      this.partial = [];
      chunk = chunk.subarray(newline + 1);
      this.answer(line.toString('latin1'));
    }
    if (chunk.length > 0) this.partial.push(chunk);
  }

  private answer(line: string): void {
    const [id, status, ...rest] = line.split(' ');
    const ids = [Number(id), ...(this.followers.get(Number(id)) ?? [])];
    this.followers.delete(Number(id));
    const bytes = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64');
    for (const each of ids) {
      const pending = this.pending.get(each);
      if (!pending) continue; // timed out meanwhile
      this.pending.delete(each);
      if (status === 'OK') pending.resolve(bytes(rest[0]));
      else {
        const code = rest[0] ?? 'EIO';
        pending.reject(new HostError(CODES.has(code) ? (code as HostErrorCode) : 'EIO', bytes(rest[1]).toString('utf8') || code, this.hostName));
      }
    }
  }

  /**
   * Queues a request; the requests of one tick leave in one channel write (one SSH packet when they fit), and
   * the helper answers them in one write too: many resources' stats and reads cost one round trip.
   */
  send(id: number, words: readonly HelperWord[], pending: Pending): void {
    this.pending.set(id, pending);
    const encoded = words.map((w) => (typeof w === 'string' ? Buffer.from(w, 'utf8') : w).toString('base64'));
    const request = encoded.join(' ');
    if (typeof words[0] === 'string' && READ_ONLY_OPS.has(words[0])) {
      const first = this.sharedReads.get(request);
      if (first !== undefined) {
        const list = this.followers.get(first);
        if (list) list.push(id);
        else this.followers.set(first, [id]);
        return;
      }
      this.sharedReads.set(request, id);
    } else {
      this.sharedReads.clear();
    }
    this.outgoing.push(`${id} ${request}\n`);
    this.onRequestSent();
    if (this.outgoing.length === 1) setImmediate(() => this.flushOutgoing());
  }

  private flushOutgoing(): void {
    const lines = this.outgoing;
    this.outgoing = [];
    this.sharedReads.clear();
    if (lines.length > 0 && !this.dead) this.channel!.write(lines.join(''));
  }

  forget(id: number): void {
    this.pending.delete(id);
  }

  /** Kills the remote process (its whole group) and ends the channel; what is pending is rejected on close. */
  kill(): void {
    this.dead = true;
    if (this.pid !== undefined) void killRemote(this.connection, this.pid, true);
    this.channel?.close();
  }
}

export class RemoteHelper {
  private process: HelperProcess | undefined;
  private nextId = 1;
  /** True while a helper process runs (or is starting). */
  get running(): boolean {
    return this.process !== undefined && !this.process.dead;
  }

  /** Request lines written to the helper so far (identical reads of a tick count once). */
  get requestsSent(): number {
    return this.sent;
  }
  private sent = 0;

  constructor(
    private readonly connection: SshConnection,
    private readonly hostName: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Runs one op; resolves with its payload as text. Errors are HostErrors whose message is
   * `OPERATION HOSTPATH: what the helper said`.
   */
  async call(op: string, args: readonly HelperWord[], operation: string, hostPath: string): Promise<string> {
    return (await this.callBytes(op, args, operation, hostPath)).toString('utf8');
  }

  /** Runs one op; resolves with its payload as bytes (file content). Errors as `call`'s. */
  async callBytes(op: string, args: readonly HelperWord[], operation: string, hostPath: string): Promise<Buffer> {
    const deadline = Date.now() + this.timeoutMs;
    const fail = (code: HostErrorCode, detail: string, cause?: unknown) =>
      new HostError(code, `${operation} ${hostPath}: ${detail}`, this.hostName, hostPath, { cause });
    const proc = this.start();
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        timer = setTimeout(() => {
          proc.forget(id);
          proc.kill();
          reject(fail('ETIMEDOUT', `the remote helper did not answer within ${this.timeoutMs} ms`));
        }, Math.max(1, deadline - Date.now()));
        proc.started.then(
          () => {
            if (proc.dead) reject(fail('ECONNECTION', 'the remote helper ended'));
            else proc.send(id, [op, ...args], { resolve, reject: (err) => reject(fail(err.code, err.message, err)) });
          },
          (err: unknown) => reject(err instanceof HostError ? err : fail('ECONNECTION', String(err), err)),
        );
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The running helper process, started (connecting first when needed) if there is none. */
  start(): HelperProcess {
    if (!this.process || this.process.dead) this.process = new HelperProcess(this.connection, this.hostName, () => this.sent++);
    return this.process;
  }

  close(): void {
    this.process?.kill();
    this.process = undefined;
  }
}

/** A stat line the helper answered (file-stat.ts `parseStatFields`), or EIO naming the host path. */
export function helperStat(line: string, hostName: string, operation: string, hostPath: string): FileStat {
  const stat = parseStatFields(line.split(' '));
  if (!stat) throw new HostError('EIO', `${operation} ${hostPath}: the remote helper answered ${JSON.stringify(line.slice(0, 200))}`, hostName, hostPath);
  return stat;
}
