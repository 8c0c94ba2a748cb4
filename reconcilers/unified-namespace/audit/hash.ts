/**
 * Content hashes computed on the host itself (`sha256sum`, one exec per batch of files: the bytes never cross
 * the network), within a byte budget per run so that a large library is hashed over several runs instead of
 * holding a reconcile for minutes. Paths are arguments, never shell text.
 */
import type { Host } from '../../host/index.js';
import type { FileRecord } from './walk.js';

/** Hex digits kept: 64 bits is plenty to tell files of the same size apart. */
const HASH_CHARS = 16;
/** Files per exec (argv stays far below ARG_MAX). */
const BATCH_FILES = 64;
/** Assume at least this read speed when setting an exec's timeout (a USB disk that had spun down is slower). */
const MIN_BYTES_PER_SECOND = 10 * 1024 * 1024;

export interface HashRun {
  /** Files hashed in this run. */
  hashes: Map<FileRecord, string>;
  bytes: number;
  /** Files left for a later run (budget spent). */
  left: number;
}

/** Hashes `files` in order until `budgetBytes` is spent (always at least one file). Vanished files are skipped. */
export async function hashFiles(host: Host, files: readonly FileRecord[], budgetBytes: number, signal?: AbortSignal): Promise<HashRun> {
  const run: HashRun = { hashes: new Map(), bytes: 0, left: 0 };
  const chosen: FileRecord[] = [];
  let planned = 0;
  for (const file of files) {
    if (chosen.length > 0 && planned + file.size > budgetBytes) break;
    chosen.push(file);
    planned += file.size;
  }
  run.left = files.length - chosen.length;
  for (let i = 0; i < chosen.length; i += BATCH_FILES) {
    signal?.throwIfAborted();
    const batch = chosen.slice(i, i + BATCH_FILES);
    const byReal = new Map(batch.map((f) => [host.resolvePath(f.path), f]));
    const bytes = batch.reduce((sum, f) => sum + f.size, 0);
    const result = await host.exec(['sha256sum', ...byReal.keys()], { signal, timeoutMs: 30_000 + Math.ceil((bytes / MIN_BYTES_PER_SECOND) * 1000) });
    if (result.code === 127) throw new Error(`${host.name}: sha256sum is not installed (coreutils), cannot audit copies`);
    for (const [real, hash] of parseSha256sum(result.stdout)) {
      const file = byReal.get(real);
      if (!file) continue;
      run.hashes.set(file, hash.slice(0, HASH_CHARS));
      run.bytes += file.size;
    }
  }
  return run;
}

/**
 * `sha256sum` output lines: `HASH  PATH` (or `HASH *PATH`); GNU coreutils escapes a name holding `\` or a newline
 * by starting the line with `\` and writing them as `\\` and `\n`.
 */
export function parseSha256sum(stdout: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of stdout.split('\n')) {
    const match = /^(\\?)([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (!match) continue;
    const path = match[1] ? match[3]!.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : match[3]!;
    out.push([path, match[2]!]);
  }
  return out;
}
