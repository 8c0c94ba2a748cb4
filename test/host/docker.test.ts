/**
 * A Host's Docker endpoint reaches the real Docker engine (started by .ci/run) through its Unix socket, locally
 * and over SSH (the remote socket forwarded on the Host's shared, host-key-verified connection).
 */
import Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { createHost, isHostError, LocalHost, type Host } from '../../reconcilers/host/index.js';
import { ensureTestImages, TEST_IMAGE, uniqueSuffix } from '../support/docker.js';
import { integration } from '../support/integration.js';
import { sshdAvailable, sshLoginOf, startSshd, type TestSshd } from '../support/sshd.js';

const SOCKET = '/var/run/docker.sock';
const dockerd = integration('dockerd', existsSync(SOCKET), `no Docker engine socket at ${SOCKET}`);

dockerd.describe('Host docker endpoint', () => {
  dockerd.it('talks to the engine through the declared socket', async () => {
    const host = createHost('local', { docker: { socketPath: SOCKET } }, { baseDir: '/', stateDir: '/tmp' });
    const docker = host.docker();
    expect(host.docker()).toBe(docker); // one client per Host
    expect(String(await docker.ping())).toBe('OK');
    const version = await docker.version();
    expect(version.ApiVersion).toMatch(/^\d+\.\d+$/);
  });

  dockerd.it('a Host without a Docker endpoint is a clear error naming it', () => {
    let error: unknown;
    try {
      new LocalHost({ name: 'pve' }).docker();
    } catch (err) {
      error = err;
    }
    expect(isHostError(error, 'ENOENT')).toBe(true);
    expect((error as Error).message).toContain('Host "pve" declares no Docker endpoint');
  });
});

const sshd = integration('sshd + dockerd', sshdAvailable() && existsSync(SOCKET), 'needs openssh-server, root and a Docker engine');

sshd.describe('Host docker endpoint over SSH (the remote socket forwarded on the shared connection)', () => {
  let server: TestSshd;
  let host: Host;
  const created: string[] = [];
  beforeAll(async () => {
    await ensureTestImages();
    server = await startSshd();
    host = createHost(
      'docker-ct',
      {
        ssh: sshLoginOf(server),
        docker: { socketPath: SOCKET },
      },
      { baseDir: '/', stateDir: '/tmp' },
    );
  }, 60_000);
  afterAll(async () => {
    const local = new Docker({ socketPath: SOCKET });
    for (const id of created) await local.getContainer(id).remove({ force: true }).catch(() => undefined);
    await host?.close();
    await server?.stop();
  });

  sshd.it('pings, creates and inspects a container, and streams events, all through the SSH Host', async () => {
    const docker = host.docker();
    expect(String(await docker.ping())).toBe('OK');
    const events = (await docker.getEvents({ filters: { type: ['container'], event: ['create'] } })) as NodeJS.ReadableStream;
    const seen = new Promise<string>((resolve) => events.on('data', (chunk: Buffer) => resolve(chunk.toString())));
    const container = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sleep', '30'], name: `hs-test-ssh-docker-${uniqueSuffix()}` });
    created.push(container.id);
    expect((await container.inspect()).Config.Image).toBe(TEST_IMAGE);
    expect(JSON.parse(await seen)).toMatchObject({ Action: 'create', id: container.id });
    (events as unknown as { destroy(): void }).destroy();
    // The same engine, seen through its local socket.
    expect((await new Docker({ socketPath: SOCKET }).getContainer(container.id).inspect()).Id).toBe(container.id);
  });
});
