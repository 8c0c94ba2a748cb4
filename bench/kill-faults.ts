/**
 * Benchmark (fault figures, not timings to pass or fail): `homeostat run` SIGKILLed at random moments while it
 * applies LxcDevice, UnifiedNamespace shares and VpnSidecar (real Docker, a `pct` stand-in over a sandboxed
 * Proxmox config), 200 times by default (`KILL_FAULTS`). Prints kills, torn configs, duplicated lines, orphans,
 * how many recovery `apply` runs converged, and their median time (see test/faults/kill-faults.ts for what each
 * figure checks). Skipped without Docker or root.
 */
import { existsSync } from 'node:fs';
import { DOCKER_SOCKET, ensureTestImages } from '../test/support/docker.js';
import { runKillFaults, type KillFaultsReport } from '../test/faults/kill-faults.js';

export async function benchKillFaults(kills = Number(process.env.KILL_FAULTS ?? 200)): Promise<KillFaultsReport | { skipped: string }> {
  if (!existsSync(DOCKER_SOCKET)) return { skipped: `no Docker engine at ${DOCKER_SOCKET}` };
  if (process.getuid?.() !== 0) return { skipped: 'needs root (mknod, sandboxed Proxmox configs)' };
  ensureTestImages();
  return runKillFaults({ kills, log: process.env.KILL_FAULTS_VERBOSE ? (line) => process.stderr.write(`${line}\n`) : undefined });
}
