/**
 * A real dockerd with `--tlsverify` for tests: certificates made by openssl (a CA, the daemon's certificate for
 * 127.0.0.1, a client certificate, and a rogue CA with its own client certificate), the test's private dockerd
 * (its own network namespace, so its `--bridge none` never touches the host's docker0) listening with TLS on its
 * namespace's 127.0.0.1:2376, and a byte relay that makes that listener reachable on this namespace's loopback:
 * a TCP server here → a Unix socket → a helper inside the daemon's namespace → 127.0.0.1:2376 there. The relay
 * only moves bytes: the TLS handshake, both certificate checks included, is between the client and dockerd.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivateDockerd, type PrivateDockerd } from '../support/docker.js';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface TlsDockerd {
  engine: PrivateDockerd;
  /** Where a client reaches the TLS listener: 127.0.0.1 and this port. */
  port: number;
  /** Folder holding every certificate and key made for the test. */
  certDir: string;
  client: TlsFiles;
  /** A client certificate signed by a CA dockerd does not trust (and that CA, which did not sign dockerd's). */
  rogue: TlsFiles;
  stop(): Promise<void>;
}

const TLS_PORT = 2376;

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A CA (`<name>-ca.pem`, `<name>-ca-key.pem`) and a certificate it signs for `cn` with the given extensions. */
function makeCerts(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'rogue-ca']) openssl(dir, 'req', '-x509', ...ec, '-keyout', `${ca}-key.pem`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=homeostat test ${ca}`);
  const sign = (name: string, ca: string, cn: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, 'req', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-set_serial', String(Date.now()), '-days', '2', '-out', `${name}-cert.pem`, '-extfile', `${name}.ext`);
  };
  sign('server', 'ca', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  sign('client', 'ca', 'homeostat', 'extendedKeyUsage=clientAuth\n');
  sign('rogue', 'rogue-ca', 'homeostat', 'extendedKeyUsage=clientAuth\n');
}

/** Runs inside the daemon's network namespace: Unix socket (argv[1]) → 127.0.0.1:argv[2]. */
const INNER_RELAY = `
const net = require('node:net');
const [path, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(Number(port), '127.0.0.1');
  c.pipe(u).pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
}).listen(path, () => process.stdout.write('ready\\n'));
`;

export async function startTlsDockerd(): Promise<TlsDockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-docker-tls-'));
  const certDir = join(dir, 'certs');
  mkdirSync(certDir);
  makeCerts(certDir);
  const at = (f: string) => join(certDir, f);
  const engine = await startPrivateDockerd([], [
    '-H', `tcp://127.0.0.1:${TLS_PORT}`, '--tlsverify', '--tlscacert', at('ca.pem'), '--tlscert', at('server-cert.pem'), '--tlskey', at('server-key.pem'),
  ]);
  let inner: ChildProcess | undefined;
  let outer: Server | undefined;
  const sockets = new Set<Socket>();
  const stop = async () => {
    outer?.close();
    for (const s of sockets) s.destroy();
    if (inner?.pid && inner.exitCode === null) {
      const exited = new Promise((resolve) => inner!.once('exit', resolve));
      process.kill(inner.pid, 'SIGTERM');
      await exited;
    }
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const relaySocket = join(dir, 'relay.sock');
    inner = spawn('nsenter', [`--net=/proc/${engine.pid}/ns/net`, '--', process.execPath, '-e', INNER_RELAY, relaySocket, String(TLS_PORT)], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve, reject) => {
      inner!.stdout!.once('data', () => resolve());
      inner!.once('exit', (code) => reject(new Error(`the relay inside the daemon's namespace exited (${code})`)));
    });
    outer = createServer((c) => {
      const u = connect(relaySocket);
      sockets.add(c).add(u);
      c.pipe(u).pipe(c);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
      c.on('close', () => sockets.delete(c));
      u.on('close', () => sockets.delete(u));
    });
    const port = await new Promise<number>((resolve) => outer!.listen(0, '127.0.0.1', () => resolve((outer!.address() as { port: number }).port)));
    return {
      engine,
      port,
      certDir,
      client: { ca: at('ca.pem'), cert: at('client-cert.pem'), key: at('client-key.pem') },
      rogue: { ca: at('rogue-ca.pem'), cert: at('rogue-cert.pem'), key: at('rogue-key.pem') },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
