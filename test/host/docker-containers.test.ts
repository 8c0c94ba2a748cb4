/**
 * The host layer's generic Docker access against the real engine: containers (inspect by exact name or id,
 * start, stop, stop-and-remove keeping volumes; the usual "already so" answers are fine), images (present,
 * pull failing with Docker's message), and errors (an unreachable engine becomes DockerUnreachable naming the
 * Host and endpoint; what the engine answered passes through).
 */
import Docker from 'dockerode';
import { afterAll, beforeAll, expect } from 'vitest';
import { failureReason } from '../../reconcilers/core/errors.js';
import {
  dockerEndpointOf,
  dockerStatusCode,
  explainDockerError,
  imagePresent,
  inspectContainer,
  inspectContainerByName,
  isDockerUnreachable,
  isLocalDockerSocket,
  pullImage,
  startContainer,
  stopAndRemoveContainer,
  stopContainer,
} from '../../reconcilers/host/index.js';
import { DOCKER_SOCKET, dockerd, ensureTestImages, removeTestContainers, TEST_APP_IMAGE, TEST_IMAGE, TEST_LABEL, testDocker, uniqueSuffix } from '../support/docker.js';

const tag = `host-docker-${uniqueSuffix()}`;
const docker = testDocker();

beforeAll(() => ensureTestImages(), 60_000);
afterAll(() => removeTestContainers(docker, { tag }));

const create = (name: string, image = TEST_IMAGE) => docker.createContainer({ Image: image, name, Labels: { [TEST_LABEL]: tag } });

dockerd.describe('Docker containers through the host layer', () => {
  dockerd.it('inspects by exact name (an id prefix is not a name) or id; none is null', async () => {
    const name = `hs-test-inspect-${uniqueSuffix()}`;
    const created = await create(name);
    expect((await inspectContainerByName(docker, name))?.Id).toBe(created.id);
    expect(await inspectContainerByName(docker, created.id.slice(0, 12))).toBeNull();
    expect((await inspectContainer(docker, created.id))?.Name).toBe(`/${name}`);
    expect(await inspectContainer(docker, `hs-test-none-${uniqueSuffix()}`)).toBeNull();
  });

  dockerd.it('starts and stops, twice each; stop-and-remove keeps the volumes, and gone already is fine', async () => {
    const c = await create(`hs-test-lifecycle-${uniqueSuffix()}`, TEST_APP_IMAGE);
    await startContainer(docker, c.id);
    await startContainer(docker, c.id);
    expect((await c.inspect()).State.Running).toBe(true);
    await stopContainer(docker, c.id, { timeoutSeconds: 0 });
    await stopContainer(docker, c.id, { timeoutSeconds: 0 });
    expect((await c.inspect()).State.Running).toBe(false);
    await startContainer(docker, c.id);
    const volume = (await c.inspect()).Mounts.find((m) => m.Destination === '/config')!.Name!;

    await stopAndRemoveContainer(docker, c.id);
    expect(await inspectContainer(docker, c.id)).toBeNull();
    expect((await docker.getVolume(volume).inspect()).Name).toBe(volume); // never removed with the container
    await docker.getVolume(volume).remove();
    await stopAndRemoveContainer(docker, c.id);
    await stopContainer(docker, c.id);
  });

  dockerd.it('knows which images are present; a pull that cannot succeed rejects with Docker\'s message', async () => {
    expect(await imagePresent(docker, TEST_IMAGE)).toBe(true);
    expect(await imagePresent(docker, `homeostat-test/absent:${uniqueSuffix()}`)).toBe(false);
    await expect(pullImage(docker, '127.0.0.1:1/homeostat-test/missing:1')).rejects.toThrow(/127\.0\.0\.1:1/);
  });

  dockerd.it('an unreachable engine is DockerUnreachable, naming the Host and the endpoint; the engine\'s answers pass through', async () => {
    const nowhere = new Docker({ socketPath: `/tmp/hs-test-no-docker-${uniqueSuffix()}.sock` });
    const err = explainDockerError('pve', nowhere, await nowhere.ping().catch((e: unknown) => e));
    expect(isDockerUnreachable(err)).toBe(true);
    expect(failureReason(err)).toBe('DockerUnreachable');
    expect(err).toMatchObject({ hostName: 'pve', endpoint: dockerEndpointOf(nowhere), errno: 'ENOENT' });
    expect((err as Error).message).toBe(`Docker on Host "pve" is unreachable at ${dockerEndpointOf(nowhere)} (ENOENT); nothing was changed`);
    expect(explainDockerError('pve', nowhere, err)).toBe(err);

    const answered = await docker.getContainer(`hs-test-none-${uniqueSuffix()}`).inspect().catch((e: unknown) => e);
    expect(dockerStatusCode(answered)).toBe(404);
    expect(explainDockerError('pve', docker, answered)).toBe(answered);
  });

  dockerd.it('says where a client talks to, and whether the engine is on this machine', () => {
    expect(dockerEndpointOf(docker)).toBe(DOCKER_SOCKET);
    expect(isLocalDockerSocket(docker)).toBe(true);
    const tcp = new Docker({ host: '10.0.0.5', port: 2375, protocol: 'http' });
    expect(dockerEndpointOf(tcp)).toBe('10.0.0.5:2375');
    expect(isLocalDockerSocket(tcp)).toBe(false);
  });
});
