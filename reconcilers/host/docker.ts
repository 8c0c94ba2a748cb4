/**
 * A Host's Docker endpoint (`spec.docker`) as a dockerode client: a Unix socket on this machine, or TCP.
 * Docker over SSH (docker-modem's ssh protocol, with the Host's verified host key) comes with VpnSidecar.
 */
import Docker from 'dockerode';
import { HostError } from './host.js';
import type { HostSpec } from './factory.js';

export function createDockerClient(hostName: string, spec: HostSpec): Docker {
  const docker = spec.docker;
  if (!docker || (!docker.socketPath && !docker.host)) {
    throw new HostError('ENOENT', `Host "${hostName}" declares no Docker endpoint (spec.docker.socketPath or spec.docker.host)`, hostName);
  }
  if (docker.host) return new Docker({ host: docker.host, port: docker.port ?? 2375, protocol: 'http' });
  if (spec.ssh) {
    throw new HostError('EIO', `Host "${hostName}": Docker over SSH is not supported yet; publish the socket on the host or run homeostat there`, hostName);
  }
  return new Docker({ socketPath: docker.socketPath! });
}
