/**
 * Drift for VpnSidecar, event-driven: the Docker events stream filtered to the declared container names (a
 * restart, a recreate, a removal, a container started by hand; the host layer's stream, which reconnects with
 * backoff when the engine goes away), and a reconcile whenever events may have been missed. A dependent's
 * name starting on any network but the gateway's is stopped right here, before the reconcile is even queued
 * (KillSwitchViolation). When a dependent uses port forwarding, the forwarded port is polled (no Docker event
 * says it changed) and a change queues a reconcile. The secret files are watched too (on this machine, where
 * they live): a rotated key recreates the container that uses it at once, a created one ends a failing run.
 */
import { watch as watchFs, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type Docker from 'dockerode';
import type { DriftWatch } from '../core/contract.js';
import { followDockerEvents, hostFetch, inspectContainer, inspectContainerByName, stopContainer, type DockerEvent, type Disposable } from '../host/index.js';
import { controlServerUrl, pollIntervalMs, usesPortForwarding } from './desired.js';
import { toObserved } from './docker.js';
import type { ObservedContainer } from './model.js';
import { leaks } from './plan/index.js';
import { readForwardedPort } from './port-forwarding.js';
import { apiKeyRef, readSecret, secretRefs } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';

export function watchVpn(spec: VpnSidecarSpec, _name: string, drift: DriftWatch): Disposable {
  let docker: Docker;
  try {
    docker = drift.host.docker();
  } catch {
    return { close() {} }; // the run reports the missing endpoint
  }
  let closed = false;
  const outer = drift;
  // Nothing reaches the controller after close (a late event, a leak check or a poll in flight).
  drift = { ...outer, trigger: (event) => (closed ? undefined : outer.trigger(event)) };
  const dependentNames = new Set(spec.dependents.map((d) => d.name));

  const onEvent = (event: DockerEvent) => {
    const action = event.Action ?? '';
    if (event.Type !== 'container' || action.startsWith('exec_')) return;
    const name = event.Actor?.Attributes?.name ?? '';
    const id = event.Actor?.ID ?? event.id ?? '';
    drift.log.debug({ action, container: name }, 'docker event');
    if (action === 'start' && dependentNames.has(name) && id) void stopIfLeaking(docker, spec, id, name, drift);
    else drift.trigger();
  };

  const events = followDockerEvents(docker, {
    filters: { type: ['container'], container: [spec.gateway.name, ...dependentNames] },
    onEvent,
    onMissed: () => drift.trigger(),
    log: drift.log,
  });
  const poller = usesPortForwarding(spec) ? pollForwardedPort(spec, drift) : null;
  const secrets = watchSecretFiles(secretRefs(spec).map((r) => r.file), drift);

  return {
    close() {
      closed = true;
      events.close();
      poller?.close();
      secrets.close();
    },
  };
}

/** A dependent's name just started: if its traffic would not go through the gateway, stop it now (KillSwitchViolation). */
async function stopIfLeaking(docker: Docker, spec: VpnSidecarSpec, id: string, name: string, drift: DriftWatch): Promise<void> {
  try {
    const [info, gatewayInfo] = await Promise.all([inspectContainer(docker, id), inspectContainerByName(docker, spec.gateway.name)]);
    if (!info) return drift.trigger();
    const gateway = gatewayInfo ? { ...toObserved(gatewayInfo), netns: null, peer: null } : null;
    const c: ObservedContainer = { ...toObserved(info), netns: null, peer: null };
    if (c.networkMode.startsWith('container:')) {
      const peerId = c.networkMode.slice('container:'.length);
      const peer = peerId === gateway?.id ? gatewayInfo : await inspectContainer(docker, peerId);
      c.peer = { id: peer?.Id ?? peerId, running: peer?.State.Status === 'running' };
    }
    if (!leaks(c, gateway)) return drift.trigger();
    await stopContainer(docker, id, { timeoutSeconds: 0 });
    drift.trigger({
      type: 'Warning',
      reason: 'KillSwitchViolation',
      message: `${name} (${id.slice(0, 12)}) started on network mode ${c.networkMode}, outside the gateway ${spec.gateway.name}: stopped at once`,
    });
  } catch (err) {
    drift.log.warn({ err, container: name }, 'could not check a started container for a kill-switch leak');
    drift.trigger();
  }
}

/** Reads the forwarded port every pollInterval; a change (or a recovery after an error) queues a reconcile. */
function pollForwardedPort(spec: VpnSidecarSpec, drift: DriftWatch): Disposable {
  let last: number | null | undefined;
  let busy = false;
  const controller = new AbortController();
  const fetch = hostFetch(drift.host);
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const apiKeyFile = apiKeyRef(spec);
      const apiKey = apiKeyFile ? await readSecret(apiKeyFile) : undefined;
      const port = await readForwardedPort(fetch, controlServerUrl(spec), apiKey, controller.signal);
      if (last !== undefined && port !== last) {
        drift.log.debug({ from: last, to: port }, 'forwarded port changed');
        drift.trigger();
      }
      last = port;
    } catch {
      last = null; // the run reports why; a later success counts as a change
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), pollIntervalMs(spec));
  void poll();
  return {
    close() {
      clearInterval(timer);
      controller.abort();
    },
  };
}

/** fs.watch on the folders of the secret files (a file may not exist yet, and editors replace files). */
function watchSecretFiles(files: string[], drift: DriftWatch): Disposable {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    byDir.set(dirname(file), names);
  }
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const watcher = watchFs(dir, (_event, file) => {
        if (file === null || names.has(file.toString())) drift.trigger();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // the folder is missing: the run reports the missing secret, and is retried
    }
  }
  return { close: () => watchers.forEach((w) => w.close()) };
}
