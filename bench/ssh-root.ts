/**
 * Benchmark: what a sandbox `root` costs over SSH. A no-change pass reads and stats 100 small files
 * (`/etc/pve/lxc/N.conf`, the shape of 100 container configs) through an SshHost against a real sshd on
 * 127.0.0.1, with a root (every call resolved and acted on by the remote helper, through descriptors) and,
 * as the baseline, without one (SFTP and the batched `stat`). Medians and ratios; needs root and sshd.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshHost } from '../reconcilers/host/index.js';
import { sshdAvailable, startSshd, sshLoginOf } from '../test/support/sshd.js';
import { round, timeRuns, type Summary } from '../test/support/stats.js';

const FILES = 100;

async function passes(host: SshHost, prefix: string, samples: number): Promise<{ read: Summary; stat: Summary; both: Summary }> {
  const paths = Array.from({ length: FILES }, (_, i) => `${prefix}/etc/pve/lxc/${100 + i}.conf`);
  return {
    read: await timeRuns(samples, () => Promise.all(paths.map((p) => host.readFile(p)))),
    stat: await timeRuns(samples, () => Promise.all(paths.map((p) => host.stat(p)))),
    both: await timeRuns(samples, () => Promise.all(paths.flatMap((p) => [host.readFile(p), host.stat(p)]))),
  };
}

export async function benchSshRoot(samples = 40): Promise<Record<string, unknown>> {
  if (!sshdAvailable()) return { skipped: 'needs root and /usr/sbin/sshd' };
  const server = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-sshroot-'));
  const connect = (root?: string) =>
    new SshHost({
      name: 'bench',
      ...sshLoginOf(server),
      root,
    });
  const confined = connect(dir);
  const plain = connect();
  try {
    mkdirSync(join(dir, 'etc/pve/lxc'), { recursive: true });
    for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `etc/pve/lxc/${100 + i}.conf`), `arch: amd64\nhostname: ct${i}\n`);
    const withoutRoot = await passes(plain, dir, samples);
    const withRoot = await passes(confined, '', samples);
    return {
      files: FILES,
      noRoot: withoutRoot,
      withRoot,
      readRootOverNoRoot: round(withRoot.read.medianMs / withoutRoot.read.medianMs, 3),
      statRootOverNoRoot: round(withRoot.stat.medianMs / withoutRoot.stat.medianMs, 3),
      passRootOverNoRoot: round(withRoot.both.medianMs / withoutRoot.both.medianMs, 3),
    };
  } finally {
    await Promise.all([confined.close(), plain.close()]);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await benchSshRoot(Number(process.env.BENCH_SAMPLES ?? 40)), null, 2) + '\n');
}
