/**
 * Figures from timed samples, for the benchmarks and the fault and fuzz runs they share with tests: one quantile
 * rule (nearest rank: the smallest sample with at least that share of the samples at or below it), the summary
 * every benchmark prints (count, median, p99, max), rounded to the precision that suits its scale, and the timing
 * of an operation run again and again.
 */

/** The `q` quantile (0 < q ≤ 1) of `samples` by nearest rank; 0 when there are none. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `x` rounded to `decimals` places. */
export function round(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}

export interface Summary {
  samples: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

/** Count, median, p99 and max of times in milliseconds, rounded to `decimals` places. */
export function summarize(samples: readonly number[], decimals: number): Summary {
  const at = (q: number) => round(quantile(samples, q), decimals);
  return { samples: samples.length, medianMs: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

/** Runs `run` `samples` times, one after the other, after `warmUp` untimed runs; the summary of their times. */
export async function timeRuns(samples: number, run: () => Promise<unknown>, opts: { warmUp?: number; decimals?: number } = {}): Promise<Summary> {
  for (let i = 0; i < (opts.warmUp ?? 3); i++) await run();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return summarize(times, opts.decimals ?? 3);
}
