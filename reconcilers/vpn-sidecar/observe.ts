/**
 * VpnSidecar's observation: the containers with the declared names and those labelled as this resource's,
 * as plain data (env values hashed on the spot), their network namespaces (through the Host's /proc when the
 * engine is on that machine), which images are present, the hashes of the secret files, and, when the gateway
 * runs: the tunnel's state and public IP when homeostat talks to the control server (with the leak probe while the
 * tunnel is down), the forwarded port and the app's listening port when a dependent uses port forwarding. A declared
 * container without homeostat's labels is owned when the inventory records its in-place adoption, and is read
 * beside its image's defaults when `spec.adopt` may adopt it (plan/adoption.ts). Reads only
 * (the probe opens one TCP connection from inside the dependents' network namespace, and closes it).
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type { InventoryItem, ReconcileContext } from '../core/contract.js';
import { errorMessage } from '../core/problem.js';
import {
  dockerStatusCode,
  explainDockerError,
  hostFetch,
  inspectContainer,
  inspectContainerByName,
  isLocalDockerSocket,
  type FetchLike,
  type Host,
} from '../host/index.js';
import { controlServerFetch, ControlServerError, readForwardedPort, readPublicIp, readTunnelStatus } from './control-server.js';
import { controlServerUrl, talksToControlServer, usesPortForwarding } from './desired.js';
import { dockerOf, engineOnHostMachine, localImageId, toObserved } from './docker.js';
import { LABELS, ownerOf } from './labels.js';
import { liveConfigOf } from './live-config.js';
import { adoptedInPlaceOf, withAdoptionRecord } from './plan/index.js';
import { probeTcpFrom } from './leak-probe.js';
import type { ObservedApp, ObservedContainer, ObservedPortForwarding, ObservedProbe, ObservedTunnel, VpnObserved } from './model.js';
import { QbittorrentSession } from './port-forwarding.js';
import { probeTimeoutMs, tunnelDown } from './tunnel.js';
import { apiKeyRef, qbittorrentPasswordRef, readSecret, readSecretHashes, secretRefs } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';

type Ctx = ReconcileContext<VpnSidecarSpec>;
type ObservedContainers = Omit<VpnObserved, 'secrets' | 'portForwarding' | 'tunnel'>;

export async function observeVpn(ctx: Ctx): Promise<VpnObserved> {
  const spec = ctx.resource.spec;
  const secrets = await readSecretHashes(secretRefs(spec));
  const docker = dockerOf(ctx.host);
  let containers: ObservedContainers;
  try {
    containers = await observeContainers(docker, ctx.host, spec, ctx.resource.metadata.name, ctx.inventory, ctx.signal);
  } catch (err) {
    throw explainDockerError(ctx.host.name, docker, err);
  }
  const running = containers.gateway?.status === 'running';
  const [portForwarding, tunnel] = await Promise.all([
    usesPortForwarding(spec) && running ? observePortForwarding(spec, hostFetch(ctx.host), ctx.signal) : null,
    talksToControlServer(spec) && running ? observeTunnel(spec, containers, ctx.host, ctx.signal) : null,
  ]);
  return { ...containers, secrets, portForwarding, tunnel };
}

async function observeContainers(
  docker: Docker,
  host: Host,
  spec: VpnSidecarSpec,
  name: string,
  inventory: readonly InventoryItem[],
  signal: AbortSignal,
): Promise<ObservedContainers> {
  const declared = [spec.gateway.name, ...spec.dependents.map((d) => d.name)];
  const owner = ownerOf(name);
  const images = [...new Set([spec.gateway.image, ...spec.dependents.map((d) => d.image)])];
  const [byName, labelled, present] = await Promise.all([
    Promise.all(declared.map((n) => inspectContainerByName(docker, n, signal))),
    docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${ownerOf(name)}`] }, abortSignal: signal } as object),
    Promise.all(images.map((image) => localImageId(docker, image, signal))),
  ]);
  const declaredIds = new Set(byName.flatMap((info) => (info ? [info.Id] : [])));
  // Adopted in place and no longer declared: strays too (they carry no label to be listed by).
  const adoptedIds = inventory.filter((i) => i.type === 'container' && i.host === host.name && adoptedInPlaceOf(i) && !declaredIds.has(i.id)).map((i) => i.id);
  const strayInfos = await Promise.all(
    [
      ...labelled.filter((c) => !c.Names.some((n) => declared.includes(n.replace(/^\//, '')))).map((c) => c.Id),
      ...adoptedIds.filter((id) => !labelled.some((c) => c.Id === id)),
    ].map((id) => inspectContainer(docker, id, signal)),
  );
  const local = isLocalDockerSocket(docker);
  const complete = (info: ContainerInspectInfo | null) => (info ? withNamespace(info, host, local) : Promise.resolve(null));
  const all = await Promise.all(
    byName.map(async (info) => {
      const c = await complete(info);
      if (!c || !info || c.owner !== null) return c;
      const recorded = withAdoptionRecord(c, owner, inventory, host.name);
      return recorded.owner === null && spec.adopt ? { ...c, live: await liveOf(docker, info, signal) } : recorded;
    }),
  );
  const strays = (await Promise.all(strayInfos.map(complete)))
    .filter((c): c is ObservedContainer => c !== null)
    .map((c) => withAdoptionRecord(c, owner, inventory, host.name))
    .filter((c) => c.owner === owner);
  const gateway = all[0] ?? null;
  const dependents: Record<string, ObservedContainer | null> = {};
  spec.dependents.forEach((d, i) => (dependents[d.name] = all[i + 1] ?? null));
  for (const c of [...all, ...strays]) if (c) c.peer = await peerOf(docker, c, gateway, signal);
  return {
    gateway,
    dependents,
    strays,
    images: Object.fromEntries(images.map((image, i) => [image, present[i] !== null])),
    imageIds: Object.fromEntries(images.map((image, i) => [image, present[i] ?? null])),
  };
}

async function withNamespace(info: ContainerInspectInfo, host: Host, localEngine: boolean): Promise<ObservedContainer> {
  const c = toObserved(info);
  let netns: number | null = null;
  if (localEngine && c.status === 'running' && c.pid > 0) {
    try {
      netns = (await host.stat(`/proc/${c.pid}/ns/net`))?.ino ?? null;
    } catch {
      netns = null; // no /proc through this Host (a sandbox root): fall back to start times
    }
  }
  return { ...c, netns, peer: null };
}

/** A container homeostat did not create, beside its image's defaults, for in-place adoption (plan/adoption.ts). */
async function liveOf(docker: Docker, info: ContainerInspectInfo, signal: AbortSignal): Promise<NonNullable<ObservedContainer['live']>> {
  try {
    const image = await docker.getImage(info.Image).inspect({ abortSignal: signal } as object);
    return { ...liveConfigOf(info, image), imageFound: true };
  } catch (err) {
    if (dockerStatusCode(err) !== 404) throw err;
    return { ...liveConfigOf(info, null), imageFound: false };
  }
}

async function peerOf(docker: Docker, c: ObservedContainer, gateway: ObservedContainer | null, signal: AbortSignal): Promise<ObservedContainer['peer']> {
  if (!c.networkMode.startsWith('container:')) return null;
  const id = c.networkMode.slice('container:'.length);
  if (gateway && (id === gateway.id || id === gateway.name)) return { id: gateway.id, running: gateway.status === 'running' };
  const info = await inspectContainer(docker, id, signal);
  return { id: info?.Id ?? id, running: info?.State.Status === 'running' };
}

async function observePortForwarding(spec: VpnSidecarSpec, fetch: FetchLike, signal: AbortSignal): Promise<ObservedPortForwarding> {
  const result: ObservedPortForwarding = { forwardedPort: null, apps: {} };
  try {
    const apiKeyFile = apiKeyRef(spec);
    const apiKey = apiKeyFile ? await readSecret(apiKeyFile) : undefined;
    result.forwardedPort = await readForwardedPort(fetch, controlServerUrl(spec), apiKey, signal);
  } catch (err) {
    result.error = errorMessage(err);
  }
  await Promise.all(
    spec.dependents.map(async (dependent, i) => {
      const qbt = dependent.portForwarding?.qbittorrent;
      const passwordRef = qbittorrentPasswordRef(spec, i);
      if (!qbt || !passwordRef) return;
      const app: ObservedApp = { listenPort: null };
      try {
        const password = await readSecret(passwordRef);
        const session = await QbittorrentSession.login(fetch, qbt.url, qbt.username, password, signal);
        app.listenPort = await session.listenPort(signal);
      } catch (err) {
        app.error = errorMessage(err);
      }
      result.apps[dependent.name] = app;
    }),
  );
  return result;
}

/** The tunnel's state and public IP from gluetun; while it is down, the leak probe from the dependents' namespace. */
async function observeTunnel(spec: VpnSidecarSpec, containers: ObservedContainers, host: Host, signal: AbortSignal): Promise<ObservedTunnel> {
  const fetch = controlServerFetch(host);
  const base = controlServerUrl(spec);
  const apiKeyFile = apiKeyRef(spec);
  const apiKey = apiKeyFile ? await readSecret(apiKeyFile) : undefined;
  const [status, publicIp] = await Promise.allSettled([readTunnelStatus(fetch, base, apiKey, signal), readPublicIp(fetch, base, apiKey, signal)]);
  const tunnel: ObservedTunnel = { status: null, publicIp: publicIp.status === 'fulfilled' ? publicIp.value : null, probe: null };
  if (status.status === 'fulfilled') tunnel.status = status.value;
  else {
    const err = status.reason as unknown;
    tunnel.error = { fault: err instanceof ControlServerError ? err.fault : 'unreachable', message: errorMessage(err) };
  }
  if (spec.leakProbe && tunnelDown(tunnel)) tunnel.probe = await probeLeak(spec, containers, host, signal);
  return tunnel;
}

/**
 * One attempt from a running dependent's network namespace; when none runs (held stopped after a leak), from the
 * gateway's, which is the one they join. Only where the engine runs on the Host's machine (its process ids are that
 * machine's): a Unix socket here, or one forwarded over the Host's SSH connection.
 */
async function probeLeak(spec: VpnSidecarSpec, containers: ObservedContainers, host: Host, signal: AbortSignal): Promise<ObservedProbe> {
  const probe = spec.leakProbe!;
  if (!engineOnHostMachine(host, dockerOf(host))) {
    return { result: 'unavailable', error: `the Docker engine of Host "${host.name}" is not on that machine (a TCP endpoint): no network namespace to probe from` };
  }
  const inside = (c: ObservedContainer | null | undefined): c is ObservedContainer => !!c && c.status === 'running' && c.pid > 0;
  const dependent = spec.dependents.map((d) => containers.dependents[d.name]).find(inside);
  const gw = containers.gateway;
  const at = dependent
    ? { pid: dependent.pid, from: `${dependent.name}'s network namespace` }
    : inside(gw)
      ? { pid: gw.pid, from: `the gateway ${gw.name}'s network namespace (its dependents' when they run)` }
      : null;
  if (!at) return { result: 'unavailable', error: 'no running container to probe from' };
  const outcome = await probeTcpFrom(host, host.resolvePath(`/proc/${at.pid}/ns/net`), probe, probeTimeoutMs(probe), signal);
  return outcome.result === 'unavailable' ? outcome : { ...outcome, from: at.from };
}
