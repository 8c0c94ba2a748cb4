/**
 * A Host's Docker endpoint (`spec.docker`) as a dockerode client, created on first use: a Unix socket on
 * this machine, or TCP. Docker through an SSH Host (docker-modem's ssh protocol with the Host's verified
 * host key) is not supported yet: such a Host must publish the engine another way.
 */
import Docker from 'dockerode';
import type { HostDockerSpec } from '../../crds/types.js';
import { HostError } from './host.js';

export class DockerEndpoint {
  private cached: Docker | undefined;

  constructor(
    private readonly hostName: string,
    private readonly spec: HostDockerSpec | undefined,
    private readonly transport: 'local' | 'ssh',
  ) {}

  client(): Docker {
    this.cached ??= createDockerClient(this.hostName, this.spec, this.transport);
    return this.cached;
  }
}

export function createDockerClient(hostName: string, spec: HostDockerSpec | undefined, transport: 'local' | 'ssh' = 'local'): Docker {
  if (!spec || (!spec.socketPath && !spec.host)) {
    throw new HostError('ENOENT', `Host "${hostName}" declares no Docker endpoint (spec.docker.socketPath or spec.docker.host)`, hostName);
  }
  if (spec.host) return new Docker({ host: spec.host, port: spec.port ?? 2375, protocol: 'http' });
  if (transport === 'ssh') {
    throw new HostError(
      'EIO',
      `Host "${hostName}": a Docker socket behind SSH is not supported yet; declare spec.docker.host/port, or run homeostat on that machine`,
      hostName,
    );
  }
  return new Docker({ socketPath: spec.socketPath! });
}
