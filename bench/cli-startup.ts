/**
 * Benchmark: CLI start-up, the whole process as a user runs it. Spawns the built CLI (dist/bin/homeostat.js)
 * `samples` times per command — `validate` on manifests/sandbox, `get` on a state store holding those resources,
 * `--help`, `explain` — and a bare `node -e 0`, the floor no CLI in Node can go under, interleaved so that a busy
 * moment of the machine weighs on all alike. Reports medians, p99s and each command's ratio to the floor; and,
 * for `validate`, the same command through the unbundled tsc output, to show what the bundle saves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadManifestDir } from '../controller/manifests/index.js';
import { StateStore } from '../controller/state/store.js';
import { keyOf } from '../reconcilers/core/resource.js';
import { BUILT_CLI, UNBUNDLED_CLI } from '../test/support/built-cli.js';
import { round, summarize, type Summary } from '../test/support/stats.js';

/** The checkout, from bench/ (sources) or dist/bench/ (npm run bench). */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/bench/') ? '../../' : '../', import.meta.url));
const SANDBOX_MANIFESTS = join(ROOT, 'manifests', 'sandbox');

/** Wall time of one process, in ms; throws when it does not exit 0 (a failing command measures nothing useful). */
function timeProcess(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** A state store holding the sandbox's resources, as `homeostat get` finds it after a run. */
async function seededState(dir: string): Promise<void> {
  const { resources, errors } = await loadManifestDir(SANDBOX_MANIFESTS);
  if (errors.length > 0) throw new Error(`manifests/sandbox is invalid: ${errors.length} error(s)`);
  const store = new StateStore(dir);
  try {
    for (const r of resources) {
      const host = r.kind === 'Host' ? r.metadata.name : String((r.spec as { host?: string }).host ?? 'local');
      store.upsertResource({ kind: r.kind, name: r.metadata.name, host, file: r.source.file, generation: r.generation, resource: r });
      store.recordEvent(r.kind, r.metadata.name, 'Normal', 'Converged', `${keyOf(r)} converged`);
    }
  } finally {
    store.close();
  }
}

export interface CliStartupResult {
  samples: number;
  /** `node -e 0`. */
  floor: Summary;
  commands: Record<string, Summary & { ratioToFloor: number }>;
  /** `validate` through dist/controller/cli/main.js (module by module, as before the bundle). */
  unbundledValidate: Summary & { ratioToFloor: number };
}

export async function benchCliStartup(samples = 40): Promise<CliStartupResult> {
  const state = mkdtempSync(join(tmpdir(), 'homeostat-bench-cli-'));
  try {
    await seededState(state);
    const runs: Record<string, readonly string[]> = {
      floor: ['-e', '0'],
      validate: [BUILT_CLI, 'validate', '--manifests', SANDBOX_MANIFESTS],
      get: [BUILT_CLI, 'get', '--state', state],
      help: [BUILT_CLI, '--help'],
      explain: [BUILT_CLI, 'explain', 'StorageKeepalive.spec.interval'],
      unbundledValidate: [UNBUNDLED_CLI, 'validate', '--manifests', SANDBOX_MANIFESTS],
    };
    const times = Object.fromEntries(Object.keys(runs).map((name) => [name, [] as number[]]));
    for (let i = 0; i < samples + 2; i++) {
      for (const [name, args] of Object.entries(runs)) {
        const ms = timeProcess(args);
        if (i >= 2) times[name]!.push(ms); // two warm-up rounds: the page cache, not the CLI, is cold at first
      }
    }
    const floor = summarize(times.floor!, 1);
    const against = (name: string) => {
      const s = summarize(times[name]!, 1);
      return { ...s, ratioToFloor: round(s.medianMs / floor.medianMs, 2) };
    };
    return {
      samples,
      floor,
      commands: { validate: against('validate'), get: against('get'), help: against('help'), explain: against('explain') },
      unbundledValidate: against('unbundledValidate'),
    };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

// `node dist/bench/cli-startup.js` runs this benchmark alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(JSON.stringify(await benchCliStartup(Number(process.env.BENCH_SAMPLES ?? 40)), null, 2) + '\n');
}
