/**
 * stat/lstat over SSH. SFTP attributes lack st_dev, st_ino, st_nlink and st_rdev, so these run GNU
 * `stat --printf` remotely; every call issued in the same tick is coalesced into one exec over all paths
 * (an exec costs 30–50 ms, the paths are nearly free). The format prints the path back (`%n`) so results
 * are matched to requests; a path missing from the output did not exist (or could not be stat'ed, then it
 * is retried alone to get its own error).
 */
import { HostError, type ExecResult, type FileStat } from './host.js';
import { parseStatFields } from './file-stat.js';

/** The stat fields `parseStatFields` reads (file-stat.ts) with the change time, then the name. */
const FORMAT = '%f %u %g %s %.9Y %d %i %h %t %T %.9Z %n\\0';

/**
 * `sh -c SCRIPT sh N PATHS...`: the first N paths with `stat` (lstat semantics), the rest with `stat -L`.
 * The script is a constant; paths arrive as quoted positional arguments.
 */
export const STAT_SCRIPT = [
  'n=$1; shift; t=$#; r=0',
  `( i=0; for a do i=$((i+1)); if [ $i -le $n ]; then set -- "$@" "$a"; fi; done; shift $t; [ $# -eq 0 ] || exec stat --printf 'P ${FORMAT}' -- "$@" ) || r=1`,
  `( i=0; for a do i=$((i+1)); if [ $i -gt $n ]; then set -- "$@" "$a"; fi; done; shift $t; [ $# -eq 0 ] || exec stat -L --printf 'L ${FORMAT}' -- "$@" ) || r=1`,
  'exit $r',
].join('\n');

export interface StatRecord {
  follow: boolean;
  path: string;
  stat: FileStat;
}

/** Parses the NUL-separated records the script prints: a flag (`P`/`L`), the stat fields, the path. */
export function parseStatOutput(stdout: string): StatRecord[] {
  const records: StatRecord[] = [];
  for (const record of stdout.split('\0')) {
    if (record === '') continue;
    const fields = record.split(' ');
    if (fields.length < 13) continue;
    const stat = parseStatFields(fields.slice(1, 12));
    if (stat) records.push({ follow: fields[0] === 'L', path: fields.slice(12).join(' '), stat });
  }
  return records;
}

/** stderr lines that only say "missing": the paths absent from stdout simply do not exist. */
function onlyMissing(stderr: string): boolean {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .every((l) => /No such file or directory|Not a directory/.test(l));
}

function errorFromStderr(hostName: string, hostPath: string, stderr: string): HostError {
  const code = /Permission denied/.test(stderr) ? 'EACCES' : 'EIO';
  return new HostError(code, `stat ${hostPath}: ${stderr.trim().split('\n')[0] ?? 'failed'}`, hostName, hostPath);
}

interface Pending {
  realPath: string;
  hostPath: string;
  follow: boolean;
  resolve: (stat: FileStat | null) => void;
  reject: (err: unknown) => void;
}

export type RunStatScript = (args: string[]) => Promise<ExecResult>;

/** Collects stat requests made in the same tick and answers them with one remote exec. */
export class StatBatcher {
  private queue: Pending[] = [];
  /** How many execs were run (for tests and metrics). */
  execCount = 0;

  constructor(
    private readonly hostName: string,
    private readonly run: RunStatScript,
  ) {}

  stat(realPath: string, hostPath: string, follow: boolean): Promise<FileStat | null> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => void this.flush());
      this.queue.push({ realPath, hostPath, follow, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    await this.runBatch(batch, true);
  }

  private async runBatch(batch: Pending[], retryAlone: boolean): Promise<void> {
    const lstatPaths = [...new Set(batch.filter((p) => !p.follow).map((p) => p.realPath))];
    const statPaths = [...new Set(batch.filter((p) => p.follow).map((p) => p.realPath))];
    let result: ExecResult;
    try {
      this.execCount++;
      result = await this.run([String(lstatPaths.length), ...lstatPaths, ...statPaths]);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    if (result.code === 127) {
      const err = new HostError('EIO', `stat: GNU stat is not available on the host: ${result.stderr.trim()}`, this.hostName);
      for (const p of batch) p.reject(err);
      return;
    }
    const found = new Map<string, FileStat>();
    for (const r of parseStatOutput(result.stdout)) found.set(`${r.follow ? 'L' : 'P'}${r.path}`, r.stat);
    const unexplained: Pending[] = [];
    for (const p of batch) {
      const stat = found.get(`${p.follow ? 'L' : 'P'}${p.realPath}`);
      if (stat) p.resolve(stat);
      else if (result.code === 0 || onlyMissing(result.stderr)) p.resolve(null);
      else if (retryAlone && batch.length > 1) unexplained.push(p);
      else p.reject(errorFromStderr(this.hostName, p.hostPath, result.stderr));
    }
    // Some paths failed for another reason than "missing": ask about each alone to give it its own error.
    await Promise.all(unexplained.map((p) => this.runBatch([p], false)));
  }
}
