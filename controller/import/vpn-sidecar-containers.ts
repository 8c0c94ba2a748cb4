/**
 * The reading half of VpnSidecar's import: the Host's Docker engine (its socket here, or forwarded over the SSH
 * Host's connection), the containers in another's network stack and those they join, and their images, through
 * reads only. A Host that declares no Docker endpoint has nothing to import; an engine that cannot be reached is a
 * note, not a failure of the whole import. The conversion is vpn-sidecar.ts's.
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { explainDockerError, inspectContainer, isHostError, type Host } from '../../reconcilers/host/index.js';
import { defaultSchemas } from '../manifests/schema.js';
import { DEFAULT_SECRETS_DIR, specCheckFor } from './compose/index.js';
import type { ImportResult } from './document.js';
import { vpnSidecarDocuments } from './vpn-sidecar.js';

export async function importVpnSidecars(host: Host, secretsDir = DEFAULT_SECRETS_DIR): Promise<ImportResult> {
  let docker: Docker;
  try {
    docker = host.docker();
  } catch (err) {
    if (isHostError(err, 'ENOENT')) return { documents: [], notes: [] };
    return { documents: [], notes: [`Docker engine of ${host.name} not read: ${errorMessage(err)}`] };
  }
  const kind = defaultSchemas().get('VpnSidecar');
  if (!kind) return { documents: [], notes: [] };
  let read: { containers: ContainerInspectInfo[]; images: Map<string, Pick<ImageInspectInfo, 'Config'>> };
  try {
    read = await readGroups(docker, AbortSignal.timeout(DOCKER_READ_DEADLINE_MS));
  } catch (err) {
    return { documents: [], notes: [`Docker engine of ${host.name} not read: ${errorMessage(explainDockerError(host.name, docker, err))}`] };
  }
  return vpnSidecarDocuments({ host: host.name, ...read, check: specCheckFor(kind), secretsDir });
}

/** The whole read of the engine: an engine that hangs ends the VpnSidecar part with a note, not the import. */
const DOCKER_READ_DEADLINE_MS = 60_000;

/** The containers in `container:` mode and the ones they join (inspected), and their images. */
async function readGroups(docker: Docker, signal: AbortSignal): Promise<{ containers: ContainerInspectInfo[]; images: Map<string, Pick<ImageInspectInfo, 'Config'>> }> {
  const listed = await docker.listContainers({ all: true, abortSignal: signal } as object);
  const joined = listed.filter((c) => (c.HostConfig?.NetworkMode ?? '').startsWith('container:'));
  const ids = new Set(joined.map((c) => c.Id));
  const byName = new Map(listed.flatMap((c) => c.Names.map((n) => [n.replace(/^\//, ''), c.Id] as const)));
  for (const c of joined) {
    const target = c.HostConfig!.NetworkMode.slice('container:'.length);
    ids.add(byName.get(target) ?? target);
  }
  const containers = (await Promise.all([...ids].map((id) => inspectContainer(docker, id, signal)))).filter((c): c is ContainerInspectInfo => c !== null);
  const images = new Map<string, Pick<ImageInspectInfo, 'Config'>>();
  for (const imageId of new Set(containers.map((c) => c.Image))) {
    const image = await docker.getImage(imageId).inspect({ abortSignal: signal } as object).catch(() => null);
    if (image) images.set(imageId, image);
  }
  return { containers, images };
}
