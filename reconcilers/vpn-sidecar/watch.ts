/**
 * Drift for VpnSidecar, event-driven: the Docker events stream filtered to the declared container names (a
 * restart, a recreate, a removal, a container started by hand; the host layer's stream, which reconnects with
 * backoff when the engine goes away), and a reconcile whenever events may have been missed. A dependent's
 * name starting on any network but the gateway's is stopped right here, before the reconcile is even queued
 * (KillSwitchViolation). When homeostat talks to gluetun's control server, the tunnel's state (and the forwarded
 * port, with port forwarding) is polled (no Docker event says it changed) and a change queues a reconcile. The secret files are watched too (on this machine, where
 * they live): a rotated key recreates the container that uses it at once, a created one ends a failing run.
 * With `pull: always`, image events for those references (a pull, a re-tag) queue a reconcile: a new image id under
 * the tag recreates the container.
 */
import type Docker from 'dockerode';
import type { DriftWatch } from '../core/contract.js';
import { followDockerEvents, inspectContainer, inspectContainerByName, stopContainer, type DockerEvent, type Disposable } from '../host/index.js';
import { pollControlServer } from './control-server-poll.js';
import { talksToControlServer } from './desired.js';
import { toObserved } from './docker.js';
import type { ObservedContainer } from './model.js';
import { leaks } from './plan/index.js';
import { secretRefs, watchSecretFiles } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';

/** Image events after which a reference may name another image id. */
const IMAGE_CHANGES = new Set(['pull', 'tag', 'untag', 'load', 'import']);

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
  const followed = [spec.gateway, ...spec.dependents].filter((c) => c.pull === 'always').map((c) => c.image);
  const imageEvents =
    followed.length > 0
      ? followDockerEvents(docker, {
          filters: { type: ['image'], image: [...new Set(followed)] },
          onEvent: (event) => (IMAGE_CHANGES.has(event.Action ?? '') ? drift.trigger() : undefined),
          onMissed: () => drift.trigger(),
          log: drift.log,
        })
      : null;
  const poller = talksToControlServer(spec) ? pollControlServer(spec, drift) : null;
  const secrets = watchSecretFiles(secretRefs(spec).map((r) => r.file), () => drift.trigger());

  return {
    close() {
      closed = true;
      events.close();
      imageEvents?.close();
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
