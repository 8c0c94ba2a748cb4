/**
 * Benchmark: what confining paths costs. Reads and stats 100 small files (`/etc/pve/lxc/N.conf`, the shape of a
 * no-change pass over 100 container configs) through a LocalHost with a sandbox `root` (every component resolved
 * inside the root through descriptors, RESOLVE_IN_ROOT) and, as the baseline, the way a root was applied before
 * (the root prefixed to the path, one node:fs call: what LocalHost did until issue 9), plus a LocalHost without
 * a root. Medians and ratios. The same for a checked chmod of a folder (walk, open O_NOFOLLOW|O_DIRECTORY, fstat,
 * readlink /proc/self/fd/N, fchmod) against a chmod by path.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost, type Host } from '../reconcilers/host/index.js';
import { round, timeRuns, type Summary } from '../test/support/stats.js';

const FILES = 100;

interface Reader {
  readFile(path: string): Promise<unknown>;
  stat(path: string): Promise<unknown>;
}

async function passes(host: Reader, prefix: string, samples: number): Promise<{ read: Summary; stat: Summary }> {
  const paths = Array.from({ length: FILES }, (_, i) => `${prefix}/etc/pve/lxc/${100 + i}.conf`);
  return {
    read: await timeRuns(samples, () => Promise.all(paths.map((p) => host.readFile(p)))),
    stat: await timeRuns(samples, () => Promise.all(paths.map((p) => host.stat(p)))),
  };
}

export async function benchSymlinkRoot(samples = 40): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-root-'));
  try {
    mkdirSync(join(dir, 'etc/pve/lxc'), { recursive: true });
    for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `etc/pve/lxc/${100 + i}.conf`), `arch: amd64\nhostname: ct${i}\n`);
    mkdirSync(join(dir, 'data/media'), { recursive: true });
    const confined = new LocalHost({ root: dir });
    const plain = new LocalHost();
    const prefixed: Reader = { readFile: (p) => readFile(dir + p), stat: (p) => stat(dir + p) };
    const before = await passes(prefixed, '', samples);
    const withRoot = await passes(confined, '', samples);
    const withoutRoot = await passes(plain, dir, samples);
    const folder = join(dir, 'data/media');
    const byPath = await timeRuns(samples * 5, () => chmod(folder, 0o2775));
    const st = await plain.lstat(folder);
    const check = { within: join(dir, 'data'), expect: { dev: st!.dev, ino: st!.ino } };
    const checked = await timeRuns(samples * 5, () => plain.chmodChecked(folder, 0o2775, check));
    const result: Record<string, unknown> = {
      files: FILES,
      rootPrefixedBefore: before,
      rootResolvedNow: withRoot,
      noRoot: withoutRoot,
      readNowOverBefore: round(withRoot.read.medianMs / before.read.medianMs, 3),
      statNowOverBefore: round(withRoot.stat.medianMs / before.stat.medianMs, 3),
      chmodByPath: byPath,
      chmodChecked: checked,
      checkedOverByPath: round(checked.medianMs / byPath.medianMs, 3),
    };
    await confined.close();
    await plain.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await benchSymlinkRoot(Number(process.env.BENCH_SAMPLES ?? 40)), null, 2) + '\n');
}
