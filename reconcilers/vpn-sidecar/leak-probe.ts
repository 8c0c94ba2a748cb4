/**
 * The leak probe's one act: a TCP connection to an address from inside a network namespace, with a deadline, run on
 * the Docker host through the Host as `nsenter --net=<namespace> -- <program> <address> <port> <deadline>`
 * (util-linux's nsenter, on every Proxmox host; it needs root). The program is fixed text taking the address, port and
 * deadline as arguments, never a shell string: on this machine node itself (`process.execPath -e`), over SSH perl
 * (perl-base is Essential on Debian, hence on Proxmox, and carries IO::Socket::IP). Both answer alike: exit 10 and
 * `connected`, or exit 11 and `failed <why>`. Any other end (no nsenter, not root, the namespace gone, the Host's
 * deadline) means the probe could not run, which is not a verdict.
 */
import type { Host } from '../host/index.js';

/** What one attempt found. `failed` is what a kill switch must make of it while the tunnel is down. */
export type ProbeOutcome = { result: 'connected' } | { result: 'failed'; error: string } | { result: 'unavailable'; error: string };

export interface ProbeTarget {
  address: string;
  port: number;
}

const CONNECTED = 10;
const FAILED = 11;
/** How much longer than the connection's deadline the whole command may take (nsenter, the program's start). */
const START_MARGIN_MS = 10_000;

/** node: CommonJS under `-e`; argv[1..] are the arguments after `--`. */
const NODE_PROGRAM = `
const [address, port, ms] = process.argv.slice(1);
const done = (code, text) => { process.stdout.write(text + '\\n'); process.exit(code); };
setTimeout(() => done(${FAILED}, 'failed ETIMEDOUT'), Number(ms));
const socket = require('node:net').connect({ host: address, port: Number(port) });
socket.on('connect', () => done(${CONNECTED}, 'connected'));
socket.on('error', (e) => done(${FAILED}, 'failed ' + (e.code || e.message)));
`;

/** perl: IO::Socket::IP (IPv4 and IPv6) with its own connect timeout, in seconds. */
const PERL_PROGRAM = `
use strict; use IO::Socket::IP; $| = 1;
my ($address, $port, $ms) = @ARGV;
my $socket = IO::Socket::IP->new(PeerHost => $address, PeerPort => $port, Proto => 'tcp', Timeout => $ms / 1000);
if ($socket) { print "connected\\n"; exit ${CONNECTED}; }
my $why = $@ || "$!"; $why =~ s/\\s+/ /g; print "failed $why\\n"; exit ${FAILED};
`;

/** The argv that runs the probe inside the namespace at `netnsPath` (a path on the Host's machine). */
export function probeArgv(transport: Host['transport'], netnsPath: string, target: ProbeTarget, timeoutMs: number): string[] {
  const program = transport === 'local' ? [process.execPath, '-e', NODE_PROGRAM] : ['perl', '-e', PERL_PROGRAM];
  return ['nsenter', `--net=${netnsPath}`, '--', ...program, '--', target.address, String(target.port), String(timeoutMs)];
}

/** One connection attempt from inside the namespace at `netnsPath` on the Host's machine. */
export async function probeTcpFrom(host: Host, netnsPath: string, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  let result;
  try {
    result = await host.exec(probeArgv(host.transport, netnsPath, target, timeoutMs), { timeoutMs: timeoutMs + START_MARGIN_MS, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (signal?.aborted) throw err;
    return { result: 'unavailable', error: `the probe did not run: ${(err as Error).message}` };
  }
  const said = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code === CONNECTED) return { result: 'connected' };
  if (result.code === FAILED) return { result: 'failed', error: said.replace(/^failed /, '').slice(0, 200) };
  const why = (result.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `exit code ${result.code}`;
  return { result: 'unavailable', error: `the probe did not run: ${why}` };
}
