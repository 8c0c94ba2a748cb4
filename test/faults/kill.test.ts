/**
 * kill -9 of the daemon at random moments while it applies LxcDevice lines, a UnifiedNamespace share and tree,
 * and a VpnSidecar on real Docker (test/faults/kill-faults.ts; `npm run bench` runs 200): after every kill no
 * config is torn, no line is there twice, nothing of homeostat's is missing from the inventory, and one more
 * `apply` converges; at the end, deleting the resources gives the person's config bytes back and leaves
 * nothing. The exact window between a config write and the inventory is proven in test/lxc-config/crash.test.ts;
 * this one covers the moments nobody chose. Runs the built CLI (dist/).
 */
import { existsSync } from 'node:fs';
import { beforeAll, expect } from 'vitest';
import { BUILT_CLI } from '../support/built-cli.js';
import { DOCKER_SOCKET, ensureTestImages } from '../support/docker.js';
import { integration } from '../support/integration.js';
import { runKillFaults } from './kill-faults.js';

const faults = integration(
  'built CLI + dockerd + root',
  existsSync(BUILT_CLI) && existsSync(DOCKER_SOCKET) && process.getuid?.() === 0,
  'needs `npm run build`, a Docker engine and root (mknod)',
);

beforeAll(() => ensureTestImages(), 60_000);

faults.describe('kill -9 at random moments', () => {
  faults.it('leaves no torn or duplicated config, no orphan, and converges with one more apply', async () => {
    const kills = 8;
    const report = await runKillFaults({ kills, maxDelayMs: 3000 });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      kills,
      tornConfigs: 0,
      duplicatedLines: 0,
      orphanLines: 0,
      orphanContainers: 0,
      orphanFolders: 0,
      convergedAfter: kills,
      finalPruneClean: true,
    });
    expect(report.killedMidApply).toBeGreaterThan(0); // the kills did land while there was work in flight
  }, 120_000);
});
