/**
 * VpnSidecar's plan, pure: from the spec and what Docker shows, the steps that make the gateway and its
 * dependents run as declared, in the order that keeps the kill switch shut:
 *   1. stop any container with a dependent's name whose traffic would not go through the gateway (a leak),
 *   2. stall on containers with declared names that homeostat does not own (unless adopt),
 *   3. remove containers it owns that the spec no longer declares, pull missing images (nothing is removed
 *      for a declaration that cannot be created),
 *   4. the gateway: create, recreate (which field changed) or start,
 *   5. each dependent: create or recreate on the gateway's current id, restart it when it sits in an older
 *      network namespace than the gateway's (the gateway restarted), start it when it is not running,
 *   6. the forwarded port delivered to the app.
 */
import { StalledError, type Plan, type PlanInput } from '../core/contract.js';
import { desiredDependent, desiredGateway, usesPortForwarding, type DesiredContainer } from './desired.js';
import { ownerOf, type Role } from './labels.js';
import type {
  ContainerRef,
  ObservedContainer,
  RecreateChange,
  VpnChange,
  VpnObserved,
} from './model.js';
import { formatBinding } from './ports.js';
import { sha256, showSecret } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';
import { startedAtNs } from './timestamps.js';

/** How soon to look again while something outside homeostat's hands settles (Docker restarting the gateway). */
export const SETTLING_RECHECK_MS = 1_000;
/** How soon to try delivering the forwarded port again after it could not be. */
export const PORT_FORWARDING_RECHECK_MS = 5_000;

const short = (id: string) => id.slice(0, 12);
const UP = new Set(['running', 'paused', 'restarting']);

export function isUp(c: ObservedContainer): boolean {
  return UP.has(c.status);
}

/** Traffic of `c` would not go through `gateway`: another network mode, or sharing a container that runs. */
export function leaks(c: ObservedContainer, gateway: ObservedContainer | null): boolean {
  if (!isUp(c)) return false;
  if (!c.networkMode.startsWith('container:')) return true;
  return c.peer !== null && c.peer.id !== gateway?.id && c.peer.running;
}

export function planVpn(spec: VpnSidecarSpec, observed: VpnObserved, input: PlanInput): Plan<VpnChange> {
  const owner = ownerOf(input.name);
  const target = (name: string) => `container/${name}`;
  const changes: VpnChange[] = [];
  const gw = observed.gateway;

  // 1. Leaks first: nothing else happens before they are stopped.
  for (const dependent of spec.dependents) {
    const c = observed.dependents[dependent.name];
    if (c && leaks(c, gw)) {
      changes.push({
        action: 'stop',
        target: target(c.name),
        summary: `stop ${c.name} at once: it runs on network mode ${describeMode(c.networkMode, gw)}, outside the gateway ${spec.gateway.name} (kill switch)`,
        ref: ref(c, 'dependent'),
        networkMode: c.networkMode,
      });
    }
  }

  // 2. Containers with a declared name that are not homeostat's.
  const foreign = [gw, ...spec.dependents.map((d) => observed.dependents[d.name] ?? null)].filter(
    (c): c is ObservedContainer => c !== null && c.owner !== owner,
  );
  if (foreign.length > 0 && !spec.adopt) {
    const message = foreign
      .map(
        (c) =>
          `container ${c.name} (${short(c.id)}) exists but was not created by homeostat for ${owner}` +
          (c.owner ? ` (it belongs to ${c.owner})` : '') +
          (leaks(c, gw) ? '; it bypassed the kill switch and is stopped' : '; it is left as it is'),
      )
      .join('; ');
    const full = `${message}. Remove it, or set spec.adopt: true to let homeostat recreate it`;
    if (changes.length === 0) throw new StalledError('ContainerNotOwned', full);
    changes.push({ action: 'stall', target: target(foreign[0]!.name), summary: `then stop: ${full}`, reason: 'ContainerNotOwned', message: full });
    return { changes };
  }

  // 3. Strays, then images.
  for (const stray of observed.strays) {
    changes.push({
      action: 'remove',
      target: target(stray.name),
      summary: `remove ${stray.name} (${short(stray.id)}): ${owner} no longer declares it (its volumes and data stay)`,
      ref: ref(stray, stray.role === 'gateway' ? 'gateway' : 'dependent'),
    });
  }

  const gwDesired = desiredGateway(spec, observed.secrets);
  const depDesired = spec.dependents.map((d) => desiredDependent(d, observed.secrets));

  // 4. The gateway.
  let gatewayRenewed: 'recreated' | 'started' | null = null;
  const containerChanges: VpnChange[] = [];
  let degraded: Plan['degraded'];
  let requeueAfterMs: number | undefined;
  if (!gw) {
    containerChanges.push(createChange(gwDesired, target));
    gatewayRenewed = 'recreated';
  } else {
    const reasons = recreateReasons(gw, gwDesired, owner);
    if (reasons.length > 0) {
      containerChanges.push(recreateChange(gw, gwDesired, reasons, [], target));
      gatewayRenewed = 'recreated';
    } else if (gw.status === 'restarting' || gw.status === 'removing') {
      // Docker's restart policy is at work; act when it has settled (its events trigger a run).
      degraded = { type: 'Degraded', reason: 'GatewayRestarting', message: `the gateway ${gw.name} is ${gw.status}` };
      requeueAfterMs = SETTLING_RECHECK_MS;
      return { changes: [...changes, ...withPulls(observed, containerChanges)], degraded, requeueAfterMs };
    } else if (!isUp(gw)) {
      containerChanges.push({
        action: 'start',
        target: target(gw.name),
        summary: `start the gateway ${gw.name} (it is ${gw.status})`,
        ref: ref(gw, 'gateway'),
      });
      gatewayRenewed = 'started';
    } else if (gw.health === 'unhealthy') {
      degraded = { type: 'Degraded', reason: 'GatewayUnhealthy', message: `the gateway ${gw.name} reports unhealthy (its dependents stay behind it, without network)` };
    }
  }

  // 5. Dependents.
  spec.dependents.forEach((dependent, i) => {
    const desired = depDesired[i]!;
    const c = observed.dependents[dependent.name] ?? null;
    if (!c) {
      containerChanges.push(createChange(desired, target));
      return;
    }
    const reasons = recreateReasons(c, desired, owner);
    const wantedMode = gw && gatewayRenewed !== 'recreated' ? `container:${gw.id}` : null;
    if (gatewayRenewed === 'recreated') reasons.push(`the gateway ${spec.gateway.name} is ${gw ? 'recreated' : 'created'}`);
    else if (c.networkMode !== wantedMode) reasons.push(`network mode is ${describeMode(c.networkMode, gw)}, not the gateway's`);
    else if (c.status === 'dead') reasons.push('it is dead');
    if (reasons.length > 0) {
      containerChanges.push(recreateChange(c, desired, reasons, carriedVolumes(c, desired), target));
      return;
    }
    if (!isUp(c)) {
      containerChanges.push({ action: 'start', target: target(c.name), summary: `start ${c.name} (it is ${c.status})`, ref: ref(c, 'dependent') });
      return;
    }
    const stale = staleReason(c, gw!, gatewayRenewed);
    if (stale) {
      containerChanges.push({ action: 'restart', target: target(c.name), summary: `restart ${c.name}: ${stale}`, ref: ref(c, 'dependent'), reason: stale });
    }
  });

  changes.push(...withPulls(observed, containerChanges));

  // 6. The forwarded port.
  const forwarding = planPortForwarding(spec, observed, changes.length > 0);
  changes.push(...forwarding.changes);
  degraded ??= forwarding.degraded;
  if (forwarding.degraded) requeueAfterMs = PORT_FORWARDING_RECHECK_MS;
  // An app that was (re)started may not answer yet: look at the forwarded port again soon.
  if (containerChanges.length > 0 && usesPortForwarding(spec)) requeueAfterMs ??= PORT_FORWARDING_RECHECK_MS;

  return { changes, ...(degraded ? { degraded } : {}), ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}

function ref(c: ObservedContainer, role: Role): ContainerRef {
  return { id: c.id, name: c.name, role };
}

function describeMode(mode: string, gw: ObservedContainer | null): string {
  if (!mode.startsWith('container:')) return mode;
  const id = mode.slice('container:'.length);
  return gw && id === gw.id ? `container:${gw.name}` : `container:${short(id)}`;
}

/** Why `c` does not match `desired` (empty: it does). Secrets are shown by hash only. */
export function recreateReasons(c: ObservedContainer, desired: DesiredContainer, owner: string): string[] {
  if (c.owner !== owner) return [`adopted: it was not created by homeostat for ${owner}`];
  if (c.specHash === desired.specHash) return [];
  const reasons: string[] = [];
  for (const field of Object.keys(desired.fields).sort()) {
    if (c.fields[field] === desired.fields[field]) continue;
    if (field === 'image') reasons.push(`image ${c.image} → ${desired.image}`);
    else if (field === 'env') reasons.push(envReason(c, desired));
    else if (field === 'secretEnv') reasons.push(secretEnvReason(c, desired));
    else if (field === 'ports') reasons.push(`published ports → ${desired.ports.map(formatBinding).join(', ') || 'none'}`);
    else if (field === 'volumes') reasons.push(`volumes → ${desired.volumes.join(', ') || 'none'}`);
    else if (field === 'shape') reasons.push('homeostat now creates it differently');
    else reasons.push(`${field} changed`);
  }
  return reasons.length > 0 ? reasons : ['its spec-hash label differs'];
}

function envReason(c: ObservedContainer, desired: DesiredContainer): string {
  const changed = Object.entries(desired.env)
    .filter(([k, v]) => c.envHashes[k] !== sha256(v))
    .map(([k, v]) => `${k}=${v}`);
  return changed.length > 0 ? `env ${changed.join(', ')}` : 'env (a variable was removed)';
}

function secretEnvReason(c: ObservedContainer, desired: DesiredContainer): string {
  const changed = Object.entries(desired.secretEnv)
    .filter(([k, s]) => c.envHashes[k] !== s.hash)
    .map(([k, s]) => `${k} ${c.envHashes[k] ? showSecret(c.envHashes[k]) : '(unset)'} → ${showSecret(s.hash)}`);
  return changed.length > 0 ? `secretEnv ${changed.join(', ')}` : 'secretEnv (a variable was removed)';
}

/** Volumes mounted in the old container at destinations the spec does not mount (anonymous ones): kept. */
function carriedVolumes(c: ObservedContainer, desired: DesiredContainer): RecreateChange['carry'] {
  const declared = new Set(desired.volumes.map((v) => v.split(':')[1]));
  return c.volumes.filter((v) => !declared.has(v.destination));
}

/** Why a running dependent is in a network namespace that is not the gateway's current one, or null. */
function staleReason(c: ObservedContainer, gw: ObservedContainer, renewed: 'recreated' | 'started' | null): string | null {
  if (renewed === 'started') return `the gateway ${gw.name} is started again: ${c.name} must join its new network namespace`;
  if (c.netns !== null && gw.netns !== null && c.netns !== gw.netns) {
    return `it is in network namespace ${c.netns}, the gateway ${gw.name} in ${gw.netns}`;
  }
  if (startedAtNs(c.startedAt) < startedAtNs(gw.startedAt)) {
    return `it started before the gateway ${gw.name} restarted, so it sits in the gateway's old network namespace (no network)`;
  }
  return null;
}

function createChange(desired: DesiredContainer, target: (name: string) => string): VpnChange {
  const what = desired.role === 'gateway' ? `the gateway ${desired.name}` : `${desired.name} behind the gateway`;
  return { action: 'create', target: target(desired.name), summary: `create ${what}`, desired, details: describeDesired(desired) };
}

function recreateChange(
  c: ObservedContainer,
  desired: DesiredContainer,
  reasons: string[],
  carry: RecreateChange['carry'],
  target: (name: string) => string,
): RecreateChange {
  return {
    action: 'recreate',
    target: target(desired.name),
    summary: `recreate ${desired.name} (${short(c.id)}): ${reasons.join('; ')}`,
    desired,
    old: ref(c, desired.role),
    reasons,
    carry,
    details: [...describeDesired(desired), ...carry.map((v) => `  keep volume ${v.name} at ${v.destination}`)],
  };
}

export function describeDesired(d: DesiredContainer): string[] {
  const lines = [`+ image ${d.image}`];
  for (const [k, v] of Object.entries(d.env)) lines.push(`+ env ${k}=${v}`);
  for (const [k, s] of Object.entries(d.secretEnv)) lines.push(`+ env ${k}=${showSecret(s.hash)} (from ${s.file})`);
  if (d.role === 'gateway') {
    lines.push('+ cap NET_ADMIN', '+ device /dev/net/tun');
    for (const b of d.ports) lines.push(`+ publish ${formatBinding(b)}`);
  } else {
    lines.push('+ network container:<gateway id>');
    for (const v of d.volumes) lines.push(`+ volume ${v}`);
  }
  return lines;
}

/** Pull changes for the images that create/recreate changes need and the host lacks, placed before them. */
function withPulls(observed: VpnObserved, changes: VpnChange[]): VpnChange[] {
  const needed = new Set<string>();
  for (const c of changes) if ((c.action === 'create' || c.action === 'recreate') && !observed.images[c.desired.image]) needed.add(c.desired.image);
  const pulls: VpnChange[] = [...needed].map((image) => ({ action: 'pull', target: `image/${image}`, summary: `pull image ${image} (not on the Docker host)`, image }));
  return [...pulls, ...changes];
}

function planPortForwarding(
  spec: VpnSidecarSpec,
  observed: VpnObserved,
  containersChange: boolean,
): { changes: VpnChange[]; degraded?: Plan['degraded'] } {
  const pf = observed.portForwarding;
  if (!pf || containersChange) return { changes: [] };
  if (pf.forwardedPort === null) {
    return { changes: [], degraded: { type: 'Degraded', reason: 'PortForwardingUnavailable', message: `cannot read the forwarded port: ${pf.error ?? 'unknown error'}` } };
  }
  if (pf.forwardedPort === 0) {
    return { changes: [], degraded: { type: 'Degraded', reason: 'NoForwardedPort', message: 'the VPN has not forwarded a port (yet)' } };
  }
  const changes: VpnChange[] = [];
  const problems: string[] = [];
  for (const dependent of spec.dependents) {
    if (!dependent.portForwarding) continue;
    const app = pf.apps[dependent.name];
    if (!app || app.listenPort === null) {
      problems.push(`${dependent.name}: ${app?.error ?? 'not reachable'}`);
      continue;
    }
    if (app.listenPort !== pf.forwardedPort) {
      changes.push({
        action: 'set-listen-port',
        target: `app/${dependent.name}`,
        summary: `set ${dependent.name}'s listening port ${app.listenPort} → ${pf.forwardedPort} (the VPN's forwarded port)`,
        dependent: dependent.name,
        from: app.listenPort,
        to: pf.forwardedPort,
      });
    }
  }
  if (problems.length > 0) {
    return { changes, degraded: { type: 'Degraded', reason: 'PortForwardingUnavailable', message: `cannot deliver the forwarded port ${pf.forwardedPort}: ${problems.join('; ')}` } };
  }
  return { changes };
}
