/**
 * Runs generated bad manifests (fuzz-cases.ts) through what reads manifests, and counts what matters: crashes,
 * error lines without `FILE:LINE:COL`, prunes, writes outside the sandbox root. Three ways in: `loadManifestDir`
 * in this process (what `homeostat validate` runs, timed per file), the built CLI in batches of files, and a
 * running daemon whose manifests folder receives batches of bad files while it keeps good resources converged.
 * Shared by test/security/fuzz-manifests.test.ts (a few hundred cases) and bench/fuzz-manifests.ts (10,000).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatManifestError, loadManifestDir, type ManifestError } from '../../controller/manifests/index.js';
import type { Daemon } from '../../controller/runtime/daemon.js';
import { BUILT_CLI } from '../support/built-cli.js';
import { createLab, hostManifest, keepaliveManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { summarize } from '../support/stats.js';
import type { FuzzCase } from './fuzz-cases.js';

/** `FILE:LINE:COL[ Kind/name]: message`, on one line, with no control or invisible characters left raw. */
export const ERROR_LINE = /^[^\s:]+\.yaml:[1-9]\d*:[1-9]\d* ?(?:[A-Z][A-Za-z0-9]*\/[a-z0-9][-a-z0-9.]*)?: \S[^\n]*$/u;
const RAW_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isWellFormedErrorLine(line: string): boolean {
  return ERROR_LINE.test(line) && !RAW_UNSAFE.test(line);
}

export interface ValidateFigures {
  cases: number;
  /** Cases `validate` rejected (the point of the generator). */
  rejected: number;
  /** Cases that happened to be valid (a mutation that changed nothing that matters). */
  accidentallyValid: number;
  /** Exceptions out of loadManifestDir (each one a crash of `homeostat validate`). */
  crashes: Array<{ name: string; error: string }>;
  errors: number;
  errorsByCode: Record<string, number>;
  /** Error lines that do not read `FILE:LINE:COL ...` (or hold raw control characters). */
  malformed: string[];
  maxLineLength: number;
  medianMsPerFile: number;
  p99MsPerFile: number;
  maxMsPerFile: number;
  /** The slowest case, by name. */
  slowest: string;
}

/** Each case as the only file of a directory, through `loadManifestDir` (what `homeostat validate` calls). */
export async function fuzzValidate(cases: readonly FuzzCase[]): Promise<ValidateFigures & { rejectedIndexes: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-fuzz-'));
  const figures: ValidateFigures & { rejectedIndexes: number[] } = {
    cases: cases.length, rejected: 0, accidentallyValid: 0, crashes: [], errors: 0, errorsByCode: {}, malformed: [],
    maxLineLength: 0, medianMsPerFile: 0, p99MsPerFile: 0, maxMsPerFile: 0, slowest: '', rejectedIndexes: [],
  };
  const times: number[] = [];
  try {
    await loadManifestDir(dir); // loads the CRDs once, outside the timings
    for (const [i, c] of cases.entries()) {
      writeFileSync(join(dir, 'case.yaml'), c.bytes);
      const started = performance.now();
      let errors: ManifestError[];
      try {
        errors = (await loadManifestDir(dir)).errors;
      } catch (err) {
        figures.crashes.push({ name: c.name, error: String(err) });
        continue;
      }
      const ms = performance.now() - started;
      times.push(ms);
      if (ms > figures.maxMsPerFile) [figures.maxMsPerFile, figures.slowest] = [ms, c.name];
      if (errors.length === 0) {
        figures.accidentallyValid++;
        continue;
      }
      figures.rejected++;
      figures.rejectedIndexes.push(i);
      for (const e of errors) {
        figures.errors++;
        figures.errorsByCode[e.code] = (figures.errorsByCode[e.code] ?? 0) + 1;
        const line = formatManifestError(e);
        figures.maxLineLength = Math.max(figures.maxLineLength, line.length);
        if (!isWellFormedErrorLine(line)) figures.malformed.push(`${c.name}: ${JSON.stringify(line.slice(0, 300))}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = summarize(times, 2);
  figures.medianMsPerFile = summary.medianMs;
  figures.p99MsPerFile = summary.p99Ms;
  figures.maxMsPerFile = summary.maxMs;
  return figures;
}

export interface CliFigures {
  cases: number;
  processes: number;
  /** Runs that did not exit 1 with nothing on stderr (a crash, a signal, a stack trace). */
  crashes: string[];
  /** Cases with no error line naming their file. */
  unreported: string[];
  malformed: string[];
}

/** Cases through the built CLI (`homeostat validate`), `perProcess` files to a process. */
export function fuzzCli(cases: readonly FuzzCase[], perProcess = 25): CliFigures {
  const figures: CliFigures = { cases: cases.length, processes: 0, crashes: [], unreported: [], malformed: [] };
  for (let start = 0; start < cases.length; start += perProcess) {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-fuzz-cli-'));
    try {
      const batch = cases.slice(start, start + perProcess);
      batch.forEach((c, i) => writeFileSync(join(dir, `case-${start + i}.yaml`), c.bytes));
      const r = spawnSync(process.execPath, [BUILT_CLI, 'validate', '--manifests', dir], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
      figures.processes++;
      if (r.status !== 1 || r.signal !== null || r.stderr !== '') {
        figures.crashes.push(`cases ${start}..${start + batch.length - 1}: exit ${r.status} signal ${r.signal} stderr ${r.stderr.slice(0, 500)}`);
        continue;
      }
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      for (const line of lines) if (!isWellFormedErrorLine(line)) figures.malformed.push(JSON.stringify(line.slice(0, 300)));
      const refusedWhole = lines.some((l) => l.includes('nothing was reloaded'));
      if (!refusedWhole) {
        batch.forEach((c, i) => {
          if (!lines.some((l) => l.startsWith(`case-${start + i}.yaml:`))) figures.unreported.push(c.name);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return figures;
}

export interface DaemonFigures {
  cases: number;
  batches: number;
  /** Batches whose files did not all show in the daemon's ManifestsValid condition within the deadline. */
  unreportedBatches: number;
  /** Lines of the ManifestsValid condition that do not read `FILE:LINE:COL ...`. */
  malformed: string[];
  /** Pruned events, and resources whose deletion was held, during the run. */
  prunes: number;
  pruneHeld: boolean;
  /** The good resources: still Ready, their inventory as before. */
  goodResourcesIntact: boolean;
  /** Paths outside the sandbox root (under the lab's parent folder, and /etc/cron.d) that changed. */
  writesOutsideRoot: string[];
  /** Paths inside the root that changed (the good resources' files must stay as they were). */
  changesInsideRoot: string[];
  uncaught: string[];
}

const GOOD = ['good-a', 'good-b', 'good-c'];

/**
 * A real daemon on a lab whose parent folder is private to this run (so a snapshot of it sees every write), with
 * three converged StorageKeepalives (cron mode: a cron file each, in the inventory). Bad files arrive in batches,
 * written atomically (a dot-file renamed into place), and leave once the daemon has reported every one of them.
 */
export async function fuzzDaemon(cases: readonly FuzzCase[], batchSize = 100, batchDeadlineMs = 20_000): Promise<DaemonFigures> {
  const parent = mkdtempSync(join(tmpdir(), 'homeostat-fuzz-daemon-'));
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = parent;
  let lab: TestLab;
  try {
    lab = createLab();
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
  const uncaught: string[] = [];
  const onUncaught = (err: unknown) => uncaught.push(String(err));
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  let daemon: Daemon | undefined;
  const figures: DaemonFigures = {
    cases: cases.length, batches: 0, unreportedBatches: 0, malformed: [], prunes: 0, pruneHeld: false,
    goodResourcesIntact: false, writesOutsideRoot: [], changesInsideRoot: [], uncaught,
  };
  try {
    lab.writeManifest('host.yaml', hostManifest('local', lab.root));
    for (const name of GOOD) {
      mkdirSync(lab.real(`/mnt/${name}`), { recursive: true });
      lab.writeManifest(`${name}.yaml`, keepaliveManifest(name, { path: `/mnt/${name}`, mode: 'cron', requireMountpoint: false }));
    }
    daemon = await startLabDaemon(lab, { resyncMs: 3_600_000 });
    await until(() => GOOD.every((name) => viewOf(daemon!, `StorageKeepalive/${name}`)?.ready === 'True'), 20_000, null);
    const notReady = GOOD.map((name) => viewOf(daemon!, `StorageKeepalive/${name}`)).filter((v) => v?.ready !== 'True');
    if (notReady.length > 0) throw new Error(`good resources not Ready: ${JSON.stringify(notReady)}`);
    const inventoryBefore = inventories(daemon);
    const outsideBefore = snapshotTree([parent, '/etc/cron.d'], [lab.root, lab.state, lab.manifests]);
    const insideBefore = snapshotTree([lab.root], []);

    for (let start = 0; start < cases.length; start += batchSize) {
      const batch = cases.slice(start, start + batchSize).map((c, i) => ({ ...c, file: `fuzz-${start + i}.yaml` }));
      figures.batches++;
      for (const c of batch) {
        writeFileSync(join(lab.manifests, `.${c.file}.tmp`), c.bytes);
        renameSync(join(lab.manifests, `.${c.file}.tmp`), join(lab.manifests, c.file));
      }
      const reported = await until(
        () => {
          const lines = manifestErrorLines(daemon!);
          return lines.some((l) => l.includes('nothing was reloaded')) || batch.every((c) => lines.some((l) => l.startsWith(`${c.file}:`)));
        },
        batchDeadlineMs,
        null,
      );
      if (!reported) figures.unreportedBatches++;
      for (const line of manifestErrorLines(daemon)) if (!isWellFormedErrorLine(line)) figures.malformed.push(JSON.stringify(line.slice(0, 300)));
      for (const c of batch) rmSync(join(lab.manifests, c.file), { force: true });
      await until(() => manifestErrorLines(daemon!).length === 0, batchDeadlineMs, null);
    }

    await daemon.controller.idle();
    const events = daemon.store.db.prepare("SELECT count(*) AS n FROM events WHERE reason = 'Pruned'").get() as { n: number };
    figures.prunes = events.n;
    figures.pruneHeld = daemon.store.listControllerConditions().some((c) => c.type === 'PruneHeld' && c.status === 'True');
    figures.goodResourcesIntact =
      GOOD.every((name) => viewOf(daemon!, `StorageKeepalive/${name}`)?.ready === 'True') &&
      JSON.stringify(inventories(daemon)) === JSON.stringify(inventoryBefore);
    figures.writesOutsideRoot = diffTrees(outsideBefore, snapshotTree([parent, '/etc/cron.d'], [lab.root, lab.state, lab.manifests]));
    figures.changesInsideRoot = diffTrees(insideBefore, snapshotTree([lab.root], []));
  } finally {
    await daemon?.stop();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    lab.cleanup();
    rmSync(parent, { recursive: true, force: true });
  }
  return figures;
}

function manifestErrorLines(daemon: Daemon): string[] {
  const condition = daemon.store.listControllerConditions().find((c) => c.type === 'ManifestsValid');
  return condition && condition.status === 'False' ? condition.message.split('\n').filter((l) => l !== '') : [];
}

function inventories(daemon: Daemon): unknown {
  return GOOD.map((name) => daemon.store.listInventory('StorageKeepalive', name));
}

/** Every path under `roots` (skipping `except`) with its type, size, mode, mtime and, for files, content. */
function snapshotTree(roots: readonly string[], except: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (path: string) => {
    if (except.includes(path)) return;
    let s;
    try {
      s = lstatSync(path);
    } catch {
      return;
    }
    const content = s.isFile() && s.size < 1024 * 1024 ? readFileSync(path).toString('base64') : '';
    seen.set(path, `${s.mode}:${s.size}:${s.mtimeMs}:${s.uid}:${s.gid}:${content}`);
    if (s.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  for (const root of roots) visit(root);
  return seen;
}

function diffTrees(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [path, sig] of after) if (before.get(path) !== sig) changed.push(before.has(path) ? `changed ${path}` : `created ${path}`);
  for (const path of before.keys()) if (!after.has(path)) changed.push(`removed ${path}`);
  return changed;
}

/** Polls `test` every 20 ms; false (or a thrown error naming `what`) after `deadlineMs`. */
async function until(test: () => boolean, deadlineMs: number, what: string | null): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (what !== null) throw new Error(`${what}: not within ${deadlineMs} ms`);
  return false;
}

