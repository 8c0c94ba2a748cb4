/**
 * Two or more builds of homeostat measured in alternation on one scale lab (test/support/scale-lab.ts): on a
 * machine whose speed drifts (a VM whose hypervisor holds back CPU), figures taken minutes apart do not compare,
 * but runs interleaved A, B, A, B... see the same machine. Each build is a checkout whose `dist/` is built
 * (`npm run build`); its CLI runs as a whole process, as in bench/scale.ts. Prints the median and the quartiles of
 * each build, and its ratio to the first, as JSON, with the CPU pressure before the runs (`/proc/pressure/cpu`:
 * above a few percent on an idle machine, the hypervisor is holding CPU back); nothing passes or fails on a number.
 *
 *   node dist/bench/ab.js --work apply --shape 100x1 --runs 11 /path/to/previous /path/to/this
 *
 *   --work apply     a no-change `apply` (the lab converged once first)
 *   --work converge  `apply` from scratch (fresh roots and state before each run)
 *   --work cold      `run` from scratch to all Ready (also the daemon's CPU time and RSS at that moment)
 */
import { readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createScaleLab, parseScaleShapes, stopDaemon, type ScaleLab } from '../test/support/scale-lab.js';
import type { DaemonProcess } from '../test/support/built-cli.js';
import { quantile, round } from '../test/support/stats.js';

type Work = 'apply' | 'converge' | 'cold';

interface Sample {
  ms: number;
  cpuMs?: number;
  rssMb?: number;
}

const cliOf = (build: string) => join(build, 'dist', 'bin', 'homeostat.js');

function timeCli(lab: ScaleLab, build: string): Sample {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [cliOf(build), 'apply', '--manifests', lab.manifests, '--state', lab.state], { stdio: 'ignore' });
  const ms = performance.now() - t0;
  if (run.status !== 0) throw new Error(`${build}: apply exited ${run.status}`);
  return { ms };
}

/** `run` from scratch until every resource is Ready: the time, and the daemon's CPU and RSS then (from /proc). */
async function timeColdStart(lab: ScaleLab, build: string): Promise<Sample> {
  lab.reset();
  const t0 = performance.now();
  const child = spawn(process.execPath, [cliOf(build), 'run', '--manifests', lab.manifests, '--state', lab.state, '--listen', '127.0.0.1:0'], {
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, signal) => done(signal)));
  const daemon: DaemonProcess = {
    child,
    exited,
    output: () => '',
    kill: () => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      return exited;
    },
  };
  try {
    await lab.waitAllReady(daemon);
    const ms = performance.now() - t0;
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    return { ms, cpuMs: (Number(stat[11]) + Number(stat[12])) * 10, rssMb: round(rssKb / 1024, 1) };
  } finally {
    await stopDaemon(daemon);
  }
}

/** The kernel's CPU pressure (`some` avg10 and avg60, percent): how much runnable work waited for a CPU. */
function cpuPressure(): { avg10: number; avg60: number } | null {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0]!;
    return { avg10: Number(/avg10=([\d.]+)/.exec(line)?.[1]), avg60: Number(/avg60=([\d.]+)/.exec(line)?.[1]) };
  } catch {
    return null;
  }
}

function summary(values: number[], first: number | undefined) {
  const median = round(quantile(values, 0.5), 1);
  return { median, p25: round(quantile(values, 0.25), 1), p75: round(quantile(values, 0.75), 1), ...(first ? { overFirst: round(median / first, 3) } : {}) };
}

export async function benchAlternating(work: Work, shapeText: string, runs: number, builds: string[]) {
  const [shape] = parseScaleShapes(shapeText);
  if (!shape || builds.length < 2) throw new Error('usage: --work apply|converge|cold --shape CxH --runs N BUILD BUILD...');
  const pressureBefore = cpuPressure(); // idle before the lab: what the machine itself is doing
  const lab = await createScaleLab(shape);
  const samples = builds.map((): Sample[] => []);
  try {
    if (work === 'apply') {
      lab.reset();
      timeCli(lab, builds[0]!); // converge once: the runs measured find nothing to change
    }
    for (let i = 0; i < runs; i++) {
      for (const [b, build] of builds.entries()) {
        if (work === 'cold') samples[b]!.push(await timeColdStart(lab, build));
        else {
          if (work === 'converge') lab.reset();
          samples[b]!.push(timeCli(lab, build));
        }
      }
    }
  } finally {
    await lab.cleanup();
  }
  const firstMedian = quantile(samples[0]!.map((s) => s.ms), 0.5);
  return {
    work,
    shape: shapeText,
    runs,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    cpuPressureBefore: pressureBefore,
    builds: builds.map((build, b) => {
      const of = (key: keyof Sample) => samples[b]!.flatMap((s) => (s[key] === undefined ? [] : [s[key]!]));
      return {
        build,
        ms: summary(of('ms'), b === 0 ? undefined : firstMedian),
        ...(work === 'cold' ? { cpuMs: summary(of('cpuMs'), undefined), rssMb: summary(of('rssMb'), undefined) } : {}),
      };
    }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const { values, positionals } = parseArgs({
    options: { work: { type: 'string', default: 'apply' }, shape: { type: 'string', default: '100x1' }, runs: { type: 'string', default: '9' } },
    allowPositionals: true,
  });
  const work = values.work as Work;
  if (!['apply', 'converge', 'cold'].includes(work)) throw new Error(`--work ${work}: apply, converge or cold`);
  const result = await benchAlternating(work, values.shape!, Number(values.runs), positionals.map((p) => resolve(p)));
  console.log(JSON.stringify(result, null, 2));
}
