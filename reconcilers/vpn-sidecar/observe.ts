/**
 * VpnSidecar's observation: the containers with the declared names and those labelled as this resource's,
 * as plain data (env values hashed on the spot), their network namespaces (through the Host's /proc when the
 * engine is on that machine), which images are present, the hashes of the secret files, and, when a dependent
 * uses port forwarding and the gateway runs, the forwarded port and the app's listening port. Reads only.
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type { ReconcileContext } from '../core/contract.js';
import { errorMessage } from '../core/problem.js';
import {
  explainDockerError,
  hostFetch,
  imagePresent,
  inspectContainer,
  inspectContainerByName,
  isLocalDockerSocket,
  type FetchLike,
  type Host,
} from '../host/index.js';
import { controlServerUrl, usesPortForwarding } from './desired.js';
import { dockerOf, toObserved } from './docker.js';
import { LABELS, ownerOf } from './labels.js';
import type { ObservedApp, ObservedContainer, ObservedPortForwarding, VpnObserved } from './model.js';
import { QbittorrentSession, readForwardedPort } from './port-forwarding.js';
import { apiKeyRef, qbittorrentPasswordRef, readSecret, readSecretHashes, secretRefs } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';

type Ctx = ReconcileContext<VpnSidecarSpec>;

export async function observeVpn(ctx: Ctx): Promise<VpnObserved> {
  const spec = ctx.resource.spec;
  const secrets = await readSecretHashes(secretRefs(spec));
  const docker = dockerOf(ctx.host);
  let containers: Omit<VpnObserved, 'secrets' | 'portForwarding'>;
  try {
    containers = await observeContainers(docker, ctx.host, spec, ctx.resource.metadata.name, ctx.signal);
  } catch (err) {
    throw explainDockerError(ctx.host.name, docker, err);
  }
  const gw = containers.gateway;
  const portForwarding = usesPortForwarding(spec) && gw?.status === 'running' ? await observePortForwarding(spec, hostFetch(ctx.host), ctx.signal) : null;
  return { ...containers, secrets, portForwarding };
}

async function observeContainers(
  docker: Docker,
  host: Host,
  spec: VpnSidecarSpec,
  name: string,
  signal: AbortSignal,
): Promise<Omit<VpnObserved, 'secrets' | 'portForwarding'>> {
  const declared = [spec.gateway.name, ...spec.dependents.map((d) => d.name)];
  const images = [...new Set([spec.gateway.image, ...spec.dependents.map((d) => d.image)])];
  const [byName, labelled, present] = await Promise.all([
    Promise.all(declared.map((n) => inspectContainerByName(docker, n, signal))),
    docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${ownerOf(name)}`] }, abortSignal: signal } as object),
    Promise.all(images.map((image) => imagePresent(docker, image, signal))),
  ]);
  const strayInfos = await Promise.all(
    labelled
      .filter((c) => !c.Names.some((n) => declared.includes(n.replace(/^\//, ''))))
      .map((c) => inspectContainer(docker, c.Id, signal)),
  );
  const local = isLocalDockerSocket(docker);
  const complete = (info: ContainerInspectInfo | null) => (info ? withNamespace(info, host, local) : Promise.resolve(null));
  const all = await Promise.all(byName.map(complete));
  const strays = (await Promise.all(strayInfos.map(complete))).filter((c): c is ObservedContainer => c !== null);
  const gateway = all[0] ?? null;
  const dependents: Record<string, ObservedContainer | null> = {};
  spec.dependents.forEach((d, i) => (dependents[d.name] = all[i + 1] ?? null));
  for (const c of [...all, ...strays]) if (c) c.peer = await peerOf(docker, c, gateway, signal);
  return { gateway, dependents, strays, images: Object.fromEntries(images.map((image, i) => [image, present[i]!])) };
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
