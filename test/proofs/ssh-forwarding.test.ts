/**
 * Proof that "forwarded over the SSH connection" really goes through sshd. The SSH Host's sshd runs inside a
 * network namespace the test creates, and an HTTP service listens on that namespace's 127.0.0.1: hostFetch over
 * the SSH Host reaches it, while a direct connection from this process (the same address and port on this
 * machine's loopback) is refused. A Unix socket path is reachable from every namespace, so for the Docker
 * socket the proof is who connected: the socket homeostat is given is a relay to the engine that reads the
 * peer of every accepted connection (`ss -xp`), and over the SSH Host that peer is an sshd process.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect } from 'vitest';
import { createHost, hostFetch, LocalHost, type Host } from '../../reconcilers/host/index.js';
import { DOCKER_SOCKET } from '../support/docker.js';
import { integration } from '../support/integration.js';
import { createNetns, netnsAvailable, type TestNetns } from '../support/netns.js';
import { sshdAvailable, startSshd, type TestSshd } from '../support/sshd.js';
import { unixPeerOf, type PeerProcess } from '../support/unix-peer.js';
import { waitUntil } from '../support/wait.js';

const component = integration('sshd + network namespaces + dockerd', sshdAvailable() && netnsAvailable() && existsSync(DOCKER_SOCKET) && existsSync('/usr/bin/ss'), 'needs root, openssh-server, iproute2 (ip, ss) and a Docker engine');
const BODY = 'served inside the test namespace';

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A relay to the Docker engine on a Unix socket of its own, noting the process at the other end of each connection. */
async function startDockerRelay(path: string, netns: string): Promise<{ server: Server; peers: (PeerProcess | null)[] }> {
  const peers: (PeerProcess | null)[] = [];
  const server = createServer((client) => {
    peers.push(unixPeerOf(client, [netns]));
    const engine = createConnection({ path: DOCKER_SOCKET });
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, () => resolve()));
  return { server, peers };
}

const processName = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

component.describe('forwarded over the SSH connection, and only there', () => {
  const suffix = `${process.pid}-${Date.now() % 100000}`;
  let netns: TestNetns;
  let sshd: TestSshd;
  let host: Host;
  let port: number;
  let dir: string;
  let relay: Awaited<ReturnType<typeof startDockerRelay>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'homeostat-fwd-'));
    netns = createNetns(`hs-fwd-${suffix}`);
    port = await freeLoopbackPort();
    const service = netns.spawnInside([
      process.execPath,
      '-e',
      `require('node:http').createServer((q, s) => s.end(${JSON.stringify(BODY)})).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'))`,
      String(port),
    ]);
    await new Promise<void>((resolve, reject) => {
      service.stdout!.once('data', () => resolve());
      service.once('exit', (code) => reject(new Error(`the service in the namespace exited (${code})`)));
    });
    relay = await startDockerRelay(join(dir, 'docker.sock'), netns.name);
    sshd = await startSshd({ netns: netns.name });
    host = createHost(
      'remote',
      {
        ssh: { address: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile },
        docker: { socketPath: join(dir, 'docker.sock') },
      },
      { baseDir: '/', stateDir: dir },
    );
  }, 60_000);

  afterAll(async () => {
    await host?.close();
    await sshd?.stop();
    await netns?.remove();
    await new Promise<void>((resolve) => (relay ? relay.server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  component.it('hostFetch over the SSH Host reaches a service on the namespace loopback that this process cannot reach', async () => {
    const direct = (await hostFetch(new LocalHost())(`http://127.0.0.1:${port}/`).catch((e: Error) => e)) as Error;
    expect((direct.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');

    const response = await hostFetch(host)(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(BODY);
  });

  component.it('the Docker socket of the SSH Host is connected to by sshd, not by this process', async () => {
    relay.peers.length = 0;
    expect(String(await new Docker({ socketPath: join(dir, 'docker.sock') }).ping())).toBe('OK');
    expect(relay.peers.map((p) => p?.pid)).toEqual([process.pid]); // the relay sees a direct client as itself

    relay.peers.length = 0;
    expect(String(await host.docker().ping())).toBe('OK');
    await waitUntil('a connection through the relay', () => relay.peers.length > 0, 5000);
    for (const peer of relay.peers) {
      expect(peer).not.toBeNull();
      expect(peer!.command).toBe('sshd');
      expect(peer!.pid).not.toBe(process.pid);
      expect(processName(peer!.pid)).toBe('sshd');
    }
  });
});
