/**
 * A Host's Docker endpoint (`spec.docker`) as a dockerode client, created on first use: a Unix socket on this
 * machine, TCP, or — for an SSH Host — the remote engine's Unix socket forwarded over the Host's one shared,
 * host-key-verified SSH connection (OpenSSH direct-streamlocal: no docker CLI needed on the remote, no second
 * login, and every request is a cheap channel, not a new connection).
 */
import Docker from 'dockerode';
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HostDockerSpec } from '../../crds/types.js';
import { HostError } from './host.js';

/** Opens a stream to a Unix socket on the Host's machine (SSH Hosts). */
export type StreamOpener = (socketPath: string) => Promise<Duplex>;

export class DockerEndpoint {
  private cached: Docker | undefined;

  constructor(
    private readonly hostName: string,
    private readonly spec: HostDockerSpec | undefined,
    private readonly openStream?: StreamOpener,
  ) {}

  client(): Docker {
    this.cached ??= createDockerClient(this.hostName, this.spec, this.openStream);
    return this.cached;
  }
}

export function createDockerClient(hostName: string, spec: HostDockerSpec | undefined, openStream?: StreamOpener): Docker {
  if (!spec || (!spec.socketPath && !spec.host)) {
    throw new HostError('ENOENT', `Host "${hostName}" declares no Docker endpoint (spec.docker.socketPath or spec.docker.host)`, hostName);
  }
  if (spec.host) return new Docker({ host: spec.host, port: spec.port ?? 2375, protocol: 'http' });
  if (openStream) {
    const socketPath = spec.socketPath!;
    // docker-modem honours `agent` (its types do not list it); host and port only fill the request line.
    const options: Docker.DockerOptions & { agent: Agent } = { protocol: 'http', host: 'localhost', port: 2375, agent: forwardingAgent(socketPath, openStream) };
    return new Docker(options);
  }
  return new Docker({ socketPath: spec.socketPath! });
}

/** An http.Agent whose every connection is a stream to `socketPath` on the remote machine. */
function forwardingAgent(socketPath: string, openStream: StreamOpener): Agent {
  const agent = new Agent({ keepAlive: false });
  (agent as unknown as { createConnection: unknown }).createConnection = (_options: unknown, callback: (err: Error | null, socket?: Duplex) => void) => {
    openStream(socketPath).then(
      (stream) => callback(null, stream),
      (err: Error) => callback(err),
    );
    return undefined;
  };
  return agent;
}
