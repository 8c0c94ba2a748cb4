/**
 * The controller end to end for VpnSidecar: a lab (manifests, state) with a Host whose Docker endpoint is the
 * real engine (root `/`, so that /proc is readable and namespaces are compared), a VpnSidecar manifest written
 * from a spec, the real daemon (silent, or logging to a given logger), and helpers to read what `homeostat
 * get`/`describe` would show.
 */
import type { Daemon } from '../../controller/runtime/daemon.js';
import type { HostDockerSpec } from '../../crds/types.js';
import type { Logger } from '../../reconcilers/core/log.js';
import { listResourceViews, type ResourceView } from '../../controller/status/views.js';
import type { VpnSidecarSpec } from '../../reconcilers/vpn-sidecar/spec.js';
import { DOCKER_SOCKET } from '../support/docker.js';
import { createLab, startLabDaemon, type TestLab } from '../support/lab.js';
import { waitUntil } from '../support/wait.js';

export const DOCKER_HOST = 'docker-local';

/** The Docker Host: this machine, or (with `ssh`) the same engine reached through a real sshd; a socket or a full spec.docker. */
export function dockerHostManifest(endpoint: string | HostDockerSpec = DOCKER_SOCKET, ssh?: Record<string, string | number>): string {
  const docker = typeof endpoint === 'string' ? { socketPath: endpoint } : endpoint;
  return [
    'apiVersion: homeostat.dev/v1alpha1',
    'kind: Host',
    `metadata: { name: ${DOCKER_HOST} }`,
    'spec:',
    '  platform: lxc',
    `  docker: ${JSON.stringify(docker)}`,
    ...(ssh ? [`  ssh: ${JSON.stringify(ssh)}`] : []),
    '',
  ].join('\n');
}

export function vpnManifest(name: string, spec: VpnSidecarSpec, annotations: Record<string, string> = {}): string {
  return [
    'apiVersion: homeostat.dev/v1alpha1',
    'kind: VpnSidecar',
    `metadata: { name: ${name}, annotations: ${JSON.stringify(annotations)} }`,
    `spec: ${JSON.stringify({ ...spec, host: DOCKER_HOST })}`,
    '',
  ].join('\n');
}

export interface VpnDaemonLab {
  lab: TestLab;
  daemon: Daemon;
  view(name: string): ResourceView | undefined;
  waitFor(name: string, predicate: (v: ResourceView) => boolean, what: string, timeoutMs?: number): Promise<ResourceView>;
  events(name: string): Array<{ type: string; reason: string; message: string }>;
  /** Stops the daemon, keeping manifests and state (a restart of homeostat). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export const isReady = (v: ResourceView) => v.ready === 'True' && v.observedGeneration === v.generation;

export async function startVpnDaemon(
  manifests: Record<string, string>,
  socketPath: string | HostDockerSpec = DOCKER_SOCKET,
  ssh?: Record<string, string | number>,
  opts: { log?: Logger } = {},
): Promise<VpnDaemonLab> {
  const lab = createLab();
  lab.writeManifest('docker-host.yaml', dockerHostManifest(socketPath, ssh));
  for (const [file, text] of Object.entries(manifests)) lab.writeManifest(file, text);
  const start = () =>
    startLabDaemon(lab, { resyncMs: 600_000, drainMs: 5_000, ...(opts.log ? { log: opts.log } : {}) });
  let daemon: Daemon | null = await start();
  const running = () => {
    if (!daemon) throw new Error('the daemon is stopped');
    return daemon;
  };
  const view = (name: string) => listResourceViews(running().store, 'VpnSidecar').find((v) => v.name === name);
  return {
    lab,
    get daemon() {
      return running();
    },
    view,
    waitFor: (name, predicate, what, timeoutMs = 10_000) =>
      waitUntil(`VpnSidecar/${name}: ${what}`, () => {
        const v = view(name);
        return v && predicate(v) ? v : undefined;
      }, timeoutMs),
    events: (name) => running().store.listEvents('VpnSidecar', name, 50),
    async pause() {
      await daemon?.stop();
      daemon = null;
    },
    async resume() {
      daemon ??= await start();
    },
    async stop() {
      await daemon?.stop();
      daemon = null;
      lab.cleanup();
    },
  };
}

/** Milliseconds from now until `check` holds (polled every 10 ms), failing after `timeoutMs`. */
export async function timeUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<number> {
  const t0 = performance.now();
  await waitUntil(what, check, timeoutMs, 10);
  return Math.round(performance.now() - t0);
}
