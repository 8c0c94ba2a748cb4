/**
 * A Host's Docker endpoint reaches the real Docker engine (started by .ci/run) through its Unix socket.
 */
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { createHost, LocalHost } from '../../reconcilers/host/index.js';
import { isHostError } from '../../reconcilers/host/host.js';
import { integration } from '../support/integration.js';

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
