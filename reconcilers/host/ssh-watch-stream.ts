/**
 * One remote `inotifywait -m` process watching a set of real paths. A constant script first reports, for
 * each path, whether it is a directory (`d`), exists (`e`) or is missing (`-`) and its nearest existing
 * ancestor directory, then execs inotifywait on those ancestors and on the directories themselves. Events
 * arrive as `WATCHED_PATH+NAME|EVENTS\0`. Exit code 127 means inotifywait is not installed. Closing the
 * channel does not stop a remote process (no pty, and sshd refuses signals to root sessions), so `stop()`
 * kills it by the pid the script reports first.
 */
import type { ClientChannel } from 'ssh2';

export const WATCH_SCRIPT = [
  'command -v inotifywait >/dev/null 2>&1 || exit 127',
  // This shell's pid becomes inotifywait's (exec): the handle kills it by that pid when closed.
  "printf 'PID %s\\0' \"$$\"",
  't=$#',
  'for p do',
  '  if [ -d "$p" ]; then k=d; elif [ -e "$p" ] || [ -L "$p" ]; then k=e; else k=-; fi',
  '  a=${p%/*}; [ -n "$a" ] || a=/',
  '  while [ ! -d "$a" ]; do a=${a%/*}; [ -n "$a" ] || a=/; done',
  "  printf '%s %s\\0' \"$k\" \"$a\"",
  '  set -- "$@" "${a%/}/"',
  '  if [ $k = d ]; then set -- "$@" "${p%/}/"; fi',
  'done',
  'shift $t',
  "printf 'ARMED\\0'",
  "exec inotifywait -m --no-newline --format '%w%f|%e%0' -e modify,attrib,move,create,delete,delete_self,move_self,unmount \"$@\"",
].join('\n');

export interface ArmedPath {
  kind: 'd' | 'e' | '-';
  /** Nearest existing ancestor directory (normally the parent). */
  anchor: string;
}

export interface RawWatchEvent {
  /** Real path of the file the event is about (a watched directory itself for *_SELF/UNMOUNT). */
  path: string;
  events: string[];
}

export interface StreamCallbacks {
  onEstablished(armed: Map<string, ArmedPath>): void;
  onEvent(event: RawWatchEvent): void;
  /** The process ended (exit code, or undefined when the connection dropped). */
  onEnd(code: number | undefined, stderr: string): void;
}

export class WatchStream {
  private buffer = '';
  private armed: Map<string, ArmedPath> | undefined;
  private headerSeen = false;
  private establishedSeen = false;
  private stderr = '';
  private exitCode: number | undefined;
  private ended = false;
  private pid: number | undefined;
  private stopOnPid = false;

  constructor(
    readonly realPaths: string[],
    private readonly channel: ClientChannel,
    private readonly release: () => void,
    private readonly callbacks: StreamCallbacks,
    private readonly kill: (pid: number) => Promise<void>,
  ) {
    const header: ArmedPath[] = [];
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      this.buffer += chunk;
      const records = this.buffer.split('\0');
      this.buffer = records.pop() ?? '';
      for (const record of records) {
        if (!this.headerSeen) {
          if (record.startsWith('PID ')) {
            this.pid = Number(record.slice(4));
            if (this.stopOnPid) void this.stop();
          } else if (record === 'ARMED') {
            this.headerSeen = true;
            this.armed = new Map(realPaths.map((p, i) => [p, header[i] ?? { kind: '-', anchor: '/' }]));
            this.maybeEstablished();
          } else {
            const space = record.indexOf(' ');
            header.push({ kind: record.slice(0, space) as ArmedPath['kind'], anchor: record.slice(space + 1) });
          }
          continue;
        }
        const bar = record.lastIndexOf('|');
        if (bar < 0) continue;
        let path = record.slice(0, bar);
        if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
        this.callbacks.onEvent({ path, events: record.slice(bar + 1).split(',') });
      }
    });
    channel.stderr.setEncoding('utf8');
    channel.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
      if (!this.establishedSeen && this.stderr.includes('Watches established.')) {
        this.establishedSeen = true;
        this.maybeEstablished();
      }
    });
    channel.on('exit', (code: number | null) => {
      this.exitCode = code ?? undefined;
    });
    channel.on('error', () => undefined);
    channel.on('close', () => this.finish());
    channel.end();
  }

  private maybeEstablished(): void {
    if (this.headerSeen && this.establishedSeen && this.armed && !this.ended) this.callbacks.onEstablished(this.armed);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.callbacks.onEnd(this.exitCode, this.stderr);
  }

  /** Stops as soon as the remote pid is known (for a stream that is no longer wanted while starting). */
  abandon(): void {
    if (this.pid !== undefined) void this.stop();
    else this.stopOnPid = true;
  }

  /** Kills the remote inotifywait and closes the channel; resolves once the kill has been delivered. */
  stop(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    const killed = this.pid !== undefined ? this.kill(this.pid) : Promise.resolve();
    this.channel.close();
    this.release();
    return killed;
  }
}
