/**
 * VpnSidecar's side effects, in plan order: stop leaks (raising KillSwitchViolation for one on another network; a
 * leak the probe found is told by the NoLeak condition), pull images before anything is removed, remove strays,
 * then the gateway (created or started, and waited on until ready) before any dependent is created, started or
 * restarted on its current id. Secrets are read from their files here, at the moment a container is created. The
 * inventory follows every container created or removed.
 */
import type Docker from 'dockerode';
import { RetryableError, StalledError, type InventoryItem, type ReconcileContext } from '../core/contract.js';
import { errorMessage } from '../core/problem.js';
import {
  explainDockerError,
  hostFetch,
  isDockerUnreachable,
  pullImage,
  startContainer,
  stopAndRemoveContainer,
  stopContainer,
} from '../host/index.js';
import { desiredDependent, desiredGateway, type DesiredContainer } from './desired.js';
import { createOptions } from './docker-config.js';
import { dockerOf } from './docker.js';
import { ownerOf } from './labels.js';
import { waitGatewayReady } from './gateway-ready.js';
import type { ContainerRef, VpnChange, VpnObserved } from './model.js';
import type { VpnSidecarRetryReason } from './reasons.js';
import { QbittorrentSession } from './port-forwarding.js';
import { apiKeyRef, qbittorrentPasswordRef, readSecret, sha256, type SecretRef } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';

type Ctx = ReconcileContext<VpnSidecarSpec>;

export function containerItem(host: string, ref: Pick<ContainerRef, 'id' | 'name' | 'role'>): InventoryItem {
  return { type: 'container', host, id: ref.id, detail: { name: ref.name, role: ref.role } };
}

export async function applyVpn(changes: VpnChange[], observed: VpnObserved, ctx: Ctx): Promise<void> {
  const docker = dockerOf(ctx.host);
  try {
    await applyChanges(docker, changes, observed, ctx);
  } catch (err) {
    throw explainDockerError(ctx.host.name, docker, err);
  }
}

async function applyChanges(docker: Docker, changes: VpnChange[], observed: VpnObserved, ctx: Ctx): Promise<void> {
  const spec = ctx.resource.spec;
  const name = ctx.resource.metadata.name;
  const signal = ctx.signal;
  await syncInventory(observed, ctx);

  let gateway = observed.gateway ? { id: observed.gateway.id, ready: false } : null;
  const gatewayReady = async () => {
    if (!gateway) throw new Error(`internal: no gateway ${spec.gateway.name} to put ${name}'s dependents behind`);
    if (!gateway.ready) await waitGatewayReady(docker, gateway.id, spec.gateway.name, signal);
    gateway.ready = true;
    return gateway.id;
  };

  for (const change of changes) {
    signal.throwIfAborted();
    switch (change.action) {
      case 'stop':
        await stopContainer(docker, change.ref.id, { timeoutSeconds: 0, signal });
        // A leak the probe found is told once by its condition (NoLeak False: KillSwitchViolation), not per container.
        if (!change.leakProbe) {
          ctx.event('Warning', 'KillSwitchViolation', `${change.ref.name} (${change.ref.id.slice(0, 12)}) ran on network mode ${change.networkMode}, outside the gateway ${spec.gateway.name}: stopped at once`);
        }
        break;
      case 'stall':
        throw new StalledError(change.reason, change.message);
      case 'pull':
        await pullImage(docker, change.image, signal).catch((err: unknown) => {
          const explained = explainDockerError(ctx.host.name, docker, err);
          if (isDockerUnreachable(explained)) throw explained;
          if (change.present) {
            ctx.event('Warning', 'ImagePullFailed', `cannot pull image ${change.image} (pull: always): ${errorMessage(err)}; using the image on the Docker host`);
            return;
          }
          throw new RetryableError<VpnSidecarRetryReason>('ImagePullFailed', `cannot pull image ${change.image}: ${errorMessage(err)}; nothing was removed`, { cause: err });
        });
        break;
      case 'remove':
        await stopAndRemoveContainer(docker, change.ref.id, signal);
        ctx.forgetInventory(containerItem(ctx.host.name, change.ref));
        break;
      case 'create':
      case 'recreate': {
        if (change.action === 'recreate') {
          await stopAndRemoveContainer(docker, change.old.id, signal);
          ctx.forgetInventory(containerItem(ctx.host.name, change.old));
        }
        const { desired, values } = await withFreshSecrets(spec, change.desired);
        const gatewayId = desired.role === 'dependent' ? await gatewayReady() : undefined;
        const carry = change.action === 'recreate' ? change.carry : [];
        const created = await docker.createContainer({ ...createOptions(name, desired, values, { gatewayId, carry }), abortSignal: signal } as object);
        await ctx.recordInventory(containerItem(ctx.host.name, { id: created.id, name: desired.name, role: desired.role }));
        await startContainer(docker, created.id, signal);
        if (desired.role === 'gateway') {
          gateway = { id: created.id, ready: false };
          await gatewayReady();
        }
        break;
      }
      case 'start':
        if (change.ref.role === 'gateway') {
          await startContainer(docker, change.ref.id, signal);
          gateway = { id: change.ref.id, ready: false };
          await gatewayReady();
        } else {
          await gatewayReady();
          await startContainer(docker, change.ref.id, signal);
        }
        break;
      case 'restart':
        await gatewayReady();
        await docker.getContainer(change.ref.id).restart({ abortSignal: signal } as object);
        break;
      case 'set-listen-port':
        await setListenPort(spec, change.dependent, change.from, change.to, ctx);
        break;
    }
    ctx.log.debug({ action: change.action, target: change.target }, change.summary);
  }
}

/** Reads the container's secrets now; if a file changed since observe, the labels follow what is used. */
async function withFreshSecrets(
  spec: VpnSidecarSpec,
  planned: DesiredContainer,
): Promise<{ desired: DesiredContainer; values: Record<string, string> }> {
  const values: Record<string, string> = {};
  const hashes: Record<string, string> = {};
  for (const [key, s] of Object.entries(planned.secretEnv)) {
    const ref: SecretRef = s.format
      ? apiKeyRef(spec)!
      : {
          field:
            planned.role === 'gateway'
              ? `spec.gateway.secretEnv.${key}`
              : `spec.dependents[${spec.dependents.findIndex((d) => d.name === planned.name)}].secretEnv.${key}`,
          file: s.file,
        };
    values[s.file] = await readSecret(ref);
    hashes[s.file] = sha256(values[s.file]!);
  }
  if (Object.entries(planned.secretEnv).every(([, s]) => s.hash === hashes[s.file])) return { desired: planned, values };
  const desired =
    planned.role === 'gateway' ? desiredGateway(spec, hashes) : desiredDependent(spec.dependents.find((d) => d.name === planned.name)!, hashes);
  return { desired, values };
}

async function setListenPort(spec: VpnSidecarSpec, dependentName: string, from: number, to: number, ctx: Ctx): Promise<void> {
  const index = spec.dependents.findIndex((d) => d.name === dependentName);
  const qbt = spec.dependents[index]?.portForwarding?.qbittorrent;
  const passwordRef = qbittorrentPasswordRef(spec, index);
  if (!qbt || !passwordRef) return;
  const password = await readSecret(passwordRef);
  const session = await QbittorrentSession.login(hostFetch(ctx.host), qbt.url, qbt.username, password, ctx.signal);
  await session.setListenPort(to, ctx.signal);
  ctx.setStatus({ forwardedPort: to });
  ctx.event('Normal', 'PortForwarded', `${dependentName} listens on the VPN's forwarded port ${to} (was ${from})`);
}

/**
 * The inventory follows what Docker shows: containers removed by hand are forgotten, and containers labelled as
 * this resource's that the inventory lacks (a lost state store) are recorded.
 */
async function syncInventory(observed: VpnObserved, ctx: Ctx): Promise<void> {
  const owner = ownerOf(ctx.resource.metadata.name);
  const seen = [observed.gateway, ...Object.values(observed.dependents), ...observed.strays].filter(
    (c): c is NonNullable<typeof c> => c !== null,
  );
  const present = new Set(seen.map((c) => c.id));
  const recorded = new Set<string>();
  for (const item of ctx.inventory) {
    if (item.type !== 'container' || item.host !== ctx.host.name) continue;
    if (present.has(item.id)) recorded.add(item.id);
    else ctx.forgetInventory(item);
  }
  for (const c of seen) {
    if (c.owner === owner && !recorded.has(c.id)) {
      await ctx.recordInventory(containerItem(ctx.host.name, { id: c.id, name: c.name, role: c.role === 'gateway' ? 'gateway' : 'dependent' }));
    }
  }
}
