/**
 * Benchmark: time from a manifest write to `Ready` for a StorageKeepalive (cron mode: every edit changes the
 * cron file, so each sample is a real observe → plan → apply → confirm → verify), on the local host and over
 * SSH to a real sshd on 127.0.0.1. Reports median and p99, and the SSH/local ratio. Everything runs inside a
 * throwaway sandbox root.
 */
import { writeFileSync } from 'node:fs';
import type { Daemon } from '../controller/runtime/daemon.js';
import { join } from 'node:path';
import { createLab, hostManifest, keepaliveManifest, startLabDaemon } from '../test/support/lab.js';
import { sshdAvailable, startSshd } from '../test/support/sshd.js';
import { round, summarize, type Summary } from '../test/support/stats.js';

const INTERVALS = ['1m', '2m', '3m', '4m', '5m', '6m', '10m', '12m', '15m', '20m', '30m'];

async function measure(hostYaml: (root: string) => string, samples: number): Promise<Summary> {
  const lab = createLab();
  try {
    lab.writeManifest('host.yaml', hostYaml(lab.root));
    const spec = (i: number) => ({ path: '/mnt/hdd', mode: 'cron', requireMountpoint: false, interval: INTERVALS[i % INTERVALS.length]! });
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', spec(0)));
    const daemon = await startLabDaemon(lab, { resyncMs: 3_600_000 });
    try {
      await waitReady(daemon, null);
      const times: number[] = [];
      let generation = daemon.store.getResource('StorageKeepalive', 'hdd')!.generation;
      for (let i = 1; i <= samples; i++) {
        const ready = waitReady(daemon, generation);
        const t0 = performance.now();
        writeFileSync(join(lab.manifests, 'hdd.yaml'), keepaliveManifest('hdd', spec(i)));
        generation = await ready;
        times.push(performance.now() - t0);
      }
      return summarize(times, 2);
    } finally {
      await daemon.stop();
    }
  } finally {
    lab.cleanup();
  }
}

/** Resolves with the new generation once StorageKeepalive/hdd is Ready at a generation other than `previous`. */
function waitReady(daemon: Daemon, previous: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error('no Ready within 10 s'))), 10_000);
    const off = daemon.controller.onSettled((run) => {
      if (run.key === 'StorageKeepalive/hdd' && run.ready === 'True' && run.generation !== previous) {
        clearTimeout(timer);
        off();
        resolve(run.generation);
      }
    });
  });
}

export async function benchManifestToReady(samples = 40): Promise<Record<string, unknown>> {
  const local = await measure((root) => hostManifest('local', root), samples);
  const result: Record<string, unknown> = { local };
  if (!sshdAvailable()) {
    result.ssh = 'skipped: sshd not available (needs openssh-server and root)';
    return result;
  }
  const sshd = await startSshd();
  try {
    const ssh = await measure(
      (root) =>
        hostManifest(
          'local',
          root,
          `  ssh:\n    address: 127.0.0.1\n    port: ${sshd.port}\n    user: ${sshd.user}\n    identityFile: ${sshd.identityFile}\n    knownHostsFile: ${sshd.knownHostsFile}\n`,
        ),
      samples,
    );
    result.ssh = ssh;
    result.sshOverLocalMedian = round(ssh.medianMs / local.medianMs, 2);
  } finally {
    await sshd.stop();
  }
  return result;
}
