/**
 * Benchmark: how fast VpnSidecar heals through the real daemon and the Docker events stream. Three disruptions
 * are repeated on a busybox gateway with one dependent (images imported from busybox-static, no registry):
 * `docker restart` of the gateway (time until the dependent runs in the gateway's new network namespace),
 * `docker rm -f` of the gateway (until a new gateway runs with the dependent in its namespace) and of the
 * dependent (until it runs again behind the gateway). The `docker` CLI runs as a child process, awaited, so the
 * daemon (in this process) keeps running while it does, and may start healing before the command returns: each
 * sample is timed from the moment the Docker command returned (`medianMs`, comparable with the figures before),
 * and from the moment it was started (`fromCommandStart`, an upper bound that includes the command's own time).
 * Reports medians and p99s (target: under 2 s). Skipped without Docker.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { listResourceViews } from '../controller/status/views.js';
import { ownerOf } from '../reconcilers/vpn-sidecar/labels.js';
import { DOCKER_SOCKET, ensureTestImages, netnsOf, removeTestContainers, TEST_APP_IMAGE, TEST_IMAGE, testDocker, uniqueSuffix } from '../test/support/docker.js';
import { createLab, startLabDaemon } from '../test/support/lab.js';
import { summarize, type Summary } from '../test/support/stats.js';
import { waitUntil } from '../test/support/wait.js';

/** The dependent runs on the gateway's current id and in its current network namespace. */
async function healed(docker: Docker, gateway: string, app: string): Promise<boolean> {
  try {
    const [gw, dep] = await Promise.all([docker.getContainer(gateway).inspect(), docker.getContainer(app).inspect()]);
    if (!gw.State.Running || !dep.State.Running || dep.HostConfig.NetworkMode !== `container:${gw.Id}`) return false;
    const [a, b] = await Promise.all([netnsOf(docker, gateway), netnsOf(docker, app)]);
    return a !== null && a === b;
  } catch {
    return false;
  }
}

/** Runs the docker CLI in another process (never blocking the daemon's event loop); a deadline bounds it. */
async function dockerCli(...args: string[]): Promise<void> {
  await promisify(execFile)('docker', args, { timeout: 30_000 });
}

interface HealSample {
  sinceReturn: number;
  sinceStart: number;
}

async function timeHeal(docker: Docker, gateway: string, app: string, disrupt: () => Promise<void>): Promise<HealSample> {
  const started = performance.now();
  await disrupt();
  const returned = performance.now();
  await waitUntil('healed', () => healed(docker, gateway, app), 10_000, 5);
  const healedAt = performance.now();
  return { sinceReturn: healedAt - returned, sinceStart: healedAt - started };
}

function summarizeHeals(samples: HealSample[]): Summary & { fromCommandStart: Summary } {
  return { ...summarize(samples.map((s) => s.sinceReturn), 1), fromCommandStart: summarize(samples.map((s) => s.sinceStart), 1) };
}

export async function benchVpnHeal(samples = 20): Promise<Record<string, unknown>> {
  if (!existsSync(DOCKER_SOCKET)) return { skipped: `no Docker engine at ${DOCKER_SOCKET}` };
  ensureTestImages();
  const docker = testDocker();
  const suffix = uniqueSuffix();
  const resource = `bench-vpn-${suffix}`;
  const gateway = `hs-bench-gw-${suffix}`;
  const app = `hs-bench-app-${suffix}`;
  const lab = createLab();
  lab.writeManifest('host.yaml', `apiVersion: homeostat.dev/v1alpha1\nkind: Host\nmetadata: { name: docker-local }\nspec: { platform: lxc, docker: { socketPath: ${DOCKER_SOCKET} } }\n`);
  const spec = {
    host: 'docker-local',
    gateway: { name: gateway, image: TEST_IMAGE },
    dependents: [{ name: app, image: TEST_APP_IMAGE }],
  };
  lab.writeManifest('vpn.yaml', `apiVersion: homeostat.dev/v1alpha1\nkind: VpnSidecar\nmetadata: { name: ${resource} }\nspec: ${JSON.stringify(spec)}\n`);
  const daemon = await startLabDaemon(lab, { resyncMs: 3_600_000 });
  try {
    await waitUntil('VpnSidecar Ready', () => listResourceViews(daemon.store, 'VpnSidecar').find((v) => v.name === resource && v.ready === 'True'), 30_000);
    const restarts: HealSample[] = [];
    const gatewayRemovals: HealSample[] = [];
    const removals: HealSample[] = [];
    for (let i = 0; i < samples; i++) {
      restarts.push(await timeHeal(docker, gateway, app, () => dockerCli('restart', '-t', '1', gateway)));
      gatewayRemovals.push(await timeHeal(docker, gateway, app, () => dockerCli('rm', '-f', '-v', gateway)));
      removals.push(await timeHeal(docker, gateway, app, () => dockerCli('rm', '-f', '-v', app)));
    }
    return {
      gatewayRestarted: summarizeHeals(restarts),
      gatewayRemoved: summarizeHeals(gatewayRemovals),
      dependentRemoved: summarizeHeals(removals),
      targetMs: 2_000,
    };
  } finally {
    await daemon.stop();
    await removeTestContainers(docker, { owners: [ownerOf(resource)], names: [gateway, app] });
    lab.cleanup();
  }
}
