/**
 * Benchmark: homeostat at scale over SSH. H Proxmox Hosts × N stopped CTs (test/support/scale-lab.ts: a real sshd on
 * 127.0.0.1 per Host, its own sandbox root, the `pct` stand-in with its 300 ms start-up delay), each Host with N
 * LxcDevice (tun, raw), a cron StorageKeepalive and a UnifiedNamespace on /data. Medians, through the built CLI as
 * whole processes: converge from scratch (`apply` on fresh roots and state), a no-change `apply`, `diff`, and `run`
 * from scratch to all Ready (polling its /metrics; then SIGTERM); the daemon's RSS (VmRSS, VmHWM) and heap at all
 * Ready, its CPU while idle after, and its RSS and heap at the end of that idle minute. Beside them the floor on the same sshd: connecting, and one exec reading every config of
 * a Host (`cat …/*.conf`), with each median's ratio to that exec; and one `pct status` to show the delay is on.
 *
 *   BENCH_SCALE=100x1,100x10   shapes, CONTAINERSxHOSTS (default: the lab at 100 containers, and 10 such Hosts)
 *   BENCH_SCALE_SAMPLES=3      samples of each figure (default: `samples`, from BENCH_SAMPLES in run.ts, or 3)
 *   BENCH_SCALE_IDLE_MS=60000  how long the daemon idles after Ready (CPU over it; memory at its end)
 *   node dist/bench/scale.js   this benchmark alone
 */
import type { Client } from 'ssh2';
import { shellQuote } from '../reconcilers/host/index.js';
import type { CliRun } from '../test/support/built-cli.js';
import { cpuTimeMsOf, machineFacts, memoryOf } from '../test/support/process-usage.js';
import { createScaleLab, daemonMemory, parseScaleShapes, resourceCount, scaleLabAvailable, shapeLabel, stopDaemon, vmidsOf, type ScaleHost, type ScaleLab, type ScaleShape } from '../test/support/scale-lab.js';
import { connectSsh, execSsh } from '../test/support/ssh-floor.js';
import { quantile, round, summarize, type Summary } from '../test/support/stats.js';
import { sleep } from '../test/support/wait.js';

export interface ScaleBenchOptions {
  samples?: number;
  shapes?: ScaleShape[];
  idleMs?: number;
}

/** A median beside the floor: the summary, and the median over the floor's median. */
type Figure = Summary & { overFloor: number };

const figure = (times: number[], floorMs: number): Figure => {
  const summary = summarize(times, 1);
  return { ...summary, overFloor: round(summary.medianMs / floorMs, 1) };
};

/** A CLI run that must have ended with `code`; else the benchmark stops with what it printed. */
function expectExit(run: CliRun, code: number, what: string): number {
  if (run.code !== code) throw new Error(`${what} exited ${run.code} (expected ${code}):\n${run.stdout.slice(-3000)}${run.stderr.slice(-3000)}`);
  return run.ms;
}

async function timeEach(samples: number, run: () => Promise<number> | number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await run());
  return times;
}

/** Connecting, one exec reading every config of the Host, and one `pct status` through the stand-in. */
async function measureFloor(host: ScaleHost, shape: ScaleShape, samples: number) {
  const n = Math.max(5, samples);
  const connect = await timeEach(n, async () => {
    const t0 = performance.now();
    const client = await connectSsh(host.sshd);
    const ms = performance.now() - t0;
    client.end();
    return ms;
  });
  const client: Client = await connectSsh(host.sshd);
  try {
    const readAll = `cat ${shellQuote(`${host.root}/etc/pve/lxc`)}/*.conf`;
    const execOnce = async (): Promise<{ ms: number; bytes: number }> => {
      const t0 = performance.now();
      const out = await execSsh(client, readAll);
      const ms = performance.now() - t0;
      if (out.code !== 0) throw new Error(`${readAll} exited ${out.code}: ${out.stderr}`);
      return { ms, bytes: Buffer.byteLength(out.stdout) };
    };
    await execOnce(); // warm-up
    const execs: Array<{ ms: number; bytes: number }> = [];
    for (let i = 0; i < n; i++) execs.push(await execOnce());
    const t0 = performance.now();
    const pct = await execSsh(client, `pct status ${vmidsOf(shape)[0]}`);
    const pctMs = performance.now() - t0;
    return {
      connect: summarize(connect, 1),
      readAllConfigs: { ...summarize(execs.map((e) => e.ms), 1), configs: shape.containers, bytes: execs[0]!.bytes },
      pctStatusOnce: { ms: round(pctMs, 1), code: pct.code, output: (pct.stdout + pct.stderr).trim() },
    };
  } finally {
    client.end();
  }
}

/**
 * `run` from scratch until all is Ready: times, memory at Ready (VmRSS, VmHWM, and the daemon's own heap figures
 * from /metrics), and on the last sample, the CPU while idle after and the memory at the end of that idle window
 * (V8 hands back the heap a start-up burst grew only once the process has been quiet for a while), with the lowest
 * RSS read in the window (once a second) and how long after Ready it came.
 */
async function measureColdStart(lab: ScaleLab, samples: number, idleMs: number) {
  const times: number[] = [];
  const memory: Array<{ rssMb: number; hwmMb: number; heapUsedMb: number; heapTotalMb: number }> = [];
  const stops: number[] = [];
  let idle:
    | { windowMs: number; cpuMs: number; cpuPercent: number; rssMb: number; rssMinMb: number; rssMinAfterMs: number; heapUsedMb: number; heapTotalMb: number }
    | undefined;
  for (let i = 0; i < samples; i++) {
    lab.reset();
    const t0 = performance.now();
    const daemon = lab.startDaemon();
    try {
      await lab.waitAllReady(daemon);
      times.push(performance.now() - t0);
      const pid = daemon.child.pid!;
      const heap = await daemonMemory(lab);
      memory.push({ ...memoryOf(pid), heapUsedMb: heap.heapUsed, heapTotalMb: heap.heapTotal });
      if (i === samples - 1) {
        const cpu0 = cpuTimeMsOf(pid);
        const w0 = performance.now();
        // RSS once a second too: when V8's memory reducer hands back what the burst grew varies from run to run,
        // so the lowest reading and when it came are reported beside the one at the end.
        let rssMin = { mb: memoryOf(pid).rssMb, afterMs: 0 };
        while (performance.now() - w0 < idleMs) {
          await sleep(Math.min(1000, idleMs - (performance.now() - w0)));
          const mb = memoryOf(pid).rssMb;
          if (mb < rssMin.mb) rssMin = { mb, afterMs: performance.now() - w0 };
        }
        const cpuMs = cpuTimeMsOf(pid) - cpu0;
        const windowMs = performance.now() - w0;
        const after = await daemonMemory(lab);
        idle = {
          windowMs: Math.round(windowMs),
          cpuMs: round(cpuMs, 1),
          cpuPercent: round((cpuMs / windowMs) * 100, 2),
          rssMb: round(memoryOf(pid).rssMb, 1),
          rssMinMb: round(rssMin.mb, 1),
          rssMinAfterMs: Math.round(rssMin.afterMs),
          heapUsedMb: after.heapUsed,
          heapTotalMb: after.heapTotal,
        };
      }
    } finally {
      const s0 = performance.now();
      await stopDaemon(daemon);
      stops.push(performance.now() - s0);
    }
  }
  const median = (xs: number[]) => round(quantile(xs, 0.5), 1);
  return {
    times,
    daemon: {
      atReady: {
        rssMb: median(memory.map((m) => m.rssMb)),
        hwmMb: median(memory.map((m) => m.hwmMb)),
        heapUsedMb: median(memory.map((m) => m.heapUsedMb)),
        heapTotalMb: median(memory.map((m) => m.heapTotalMb)),
      },
      idle,
      stopBySigtermMs: median(stops),
    },
  };
}

async function benchShape(shape: ScaleShape, samples: number, idleMs: number): Promise<Record<string, unknown>> {
  const lab = await createScaleLab(shape);
  try {
    const floor = await measureFloor(lab.hosts[0]!, shape, samples);
    const floorMs = floor.readAllConfigs.medianMs;
    const converge = await timeEach(samples, () => {
      lab.reset();
      return expectExit(lab.homeostat('apply'), 0, 'apply from scratch');
    });
    const noChangeApply = await timeEach(samples, () => expectExit(lab.homeostat('apply'), 0, 'no-change apply'));
    const diff = await timeEach(samples, () => expectExit(lab.homeostat('diff'), 0, 'diff'));
    const cold = await measureColdStart(lab, samples, idleMs);
    return {
      hosts: shape.hosts,
      containersPerHost: shape.containers,
      resources: resourceCount(shape) - shape.hosts, // as the issue counts them: "1,010 resources on 10 Hosts"
      floor,
      converge: figure(converge, floorMs),
      noChangeApply: figure(noChangeApply, floorMs),
      diff: figure(diff, floorMs),
      runColdStartToAllReady: figure(cold.times, floorMs),
      daemon: cold.daemon,
    };
  } finally {
    await lab.cleanup();
  }
}

export async function benchScale(opts: ScaleBenchOptions = {}): Promise<Record<string, unknown>> {
  if (!scaleLabAvailable()) return { skipped: 'needs root (mknod, a uid-0 ssh user) and /usr/sbin/sshd' };
  const samples = Number(process.env.BENCH_SCALE_SAMPLES ?? opts.samples ?? 3);
  const shapes = opts.shapes ?? parseScaleShapes(process.env.BENCH_SCALE ?? '100x1,100x10');
  const idleMs = Number(process.env.BENCH_SCALE_IDLE_MS ?? opts.idleMs ?? 60_000);
  const result: Record<string, unknown> = { startedAt: new Date().toISOString(), machine: machineFacts(), samples };
  const t0 = performance.now();
  for (const shape of shapes) {
    try {
      result[shapeLabel(shape)] = await benchShape(shape, samples, idleMs);
    } catch (err) {
      result[shapeLabel(shape)] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  result.totalSeconds = Math.round((performance.now() - t0) / 1000);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await benchScale(), null, 2) + '\n');
}
