/**
 * A Host's Docker endpoint (`spec.docker`) as a dockerode client, created on first use: a Unix socket on this
 * machine, TCP, or — for an SSH Host — the remote engine's Unix socket forwarded over the Host's one shared,
 * host-key-verified SSH connection (OpenSSH direct-streamlocal: no docker CLI needed on the remote, no second
 * login, and every request is a cheap channel, not a new connection).
 *
 * TCP carries secret env values (the create-container call), so it is TLS as Docker does it (`tls: { ca, cert,
 * key }`, the files of `docker --tlsverify`: the engine's certificate is verified against `ca`, and homeostat shows
 * `cert`), and plain TCP is refused unless the address is a loopback one — before anything is connected.
 */
import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostDockerSpec } from '../../crds/types.js';
import { RetryableError, StalledError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { HostError } from './host.js';

/**
 * dockerode, loaded with the first client: it and the gRPC stack it pulls in take ~150 ms to load, which a command
 * or a lab without a Docker endpoint never pays.
 */
const requireHere = createRequire(import.meta.url);
const dockerode = (): typeof Docker => requireHere('dockerode') as typeof Docker;

/** Opens a stream to a Unix socket on the Host's machine (SSH Hosts). */
export type StreamOpener = (socketPath: string) => Promise<Duplex>;

/** Docker's ports: 2376 for TLS, 2375 for plain TCP. */
export const DOCKER_TLS_PORT = 2376;
export const DOCKER_PLAIN_PORT = 2375;

/** Why a Docker endpoint cannot be used as declared. */
export type DockerEndpointReason = 'InsecureDockerEndpoint' | 'DockerTlsFileUnreadable';

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
  if (spec.host) return tcpClient(hostName, spec.host, spec);
  if (spec.tls) {
    throw new StalledError<DockerEndpointReason>('InsecureDockerEndpoint', `spec.docker.tls: Host "${hostName}": TLS applies to spec.docker.host (TCP); a socket needs none`);
  }
  if (openStream) {
    const socketPath = spec.socketPath!;
    // docker-modem honours `agent` (its types do not list it); host and port only fill the request line.
    const options: Docker.DockerOptions & { agent: Agent } = { protocol: 'http', host: 'localhost', port: 2375, agent: forwardingAgent(socketPath, openStream) };
    return new (dockerode())(options);
  }
  return new (dockerode())({ socketPath: spec.socketPath! });
}

/** TLS with the declared files, or plain HTTP to a loopback address; anything else is refused without connecting. */
function tcpClient(hostName: string, host: string, spec: HostDockerSpec): Docker {
  const tls = spec.tls;
  if (!tls) {
    const port = spec.port ?? DOCKER_PLAIN_PORT;
    if (!isLoopbackAddress(host)) {
      throw new StalledError<DockerEndpointReason>(
        'InsecureDockerEndpoint',
        `spec.docker.host: Host "${hostName}" would reach Docker at ${host}:${port} over plain TCP, which sends secret env ` +
          'values in cleartext; give spec.docker.tls (ca, cert, key) as for `docker --tlsverify`, or use a loopback address or socketPath',
      );
    }
    return new (dockerode())({ host, port, protocol: 'http' });
  }
  const read = (field: 'ca' | 'cert' | 'key') => {
    try {
      return readFileSync(tls[field], 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      throw new RetryableError<DockerEndpointReason>(
        'DockerTlsFileUnreadable',
        `spec.docker.tls.${field}: Host "${hostName}": cannot read ${tls[field]} (${code})`,
        { cause: err },
      );
    }
  };
  const [ca, cert, key] = [read('ca'), read('cert'), read('key')];
  registerSecret(tls.key, key.trim());
  return new (dockerode())({ host, port: spec.port ?? DOCKER_TLS_PORT, protocol: 'https', ca, cert, key });
}

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`: addresses that never leave the machine. */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./.test(bare);
  return false;
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
