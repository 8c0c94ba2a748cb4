/**
 * A bare ssh2 client to a test sshd, for the floor the scale benchmark compares homeostat with: the time to
 * connect (handshake, the host key checked against the test sshd's own, key login) and one exec's output. No
 * pooling, no remote helper, no retries: the least any tool on ssh2 pays to look at a host.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import type { TestSshd } from './sshd.js';

export interface SshExecOutput {
  /** Exit code, or null when the command ended on a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Opens a connection as the test user; resolves once logged in. */
export function connectSsh(server: TestSshd, timeoutMs = 10_000): Promise<Client> {
  const hostKey = server.hostPublicKey.split(' ')[1];
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: server.port,
      username: server.user,
      privateKey: readFileSync(server.identityFile),
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => key.toString('base64') === hostKey,
    });
    client.setNoDelay(true); // as homeostat's own connections (ssh-connection.ts): no delayed-ACK stalls in the floor
  });
}

/** Runs `command` (one string, run by the login shell, /bin/sh) on one exec channel and collects its output. */
export function execSsh(client: Client, command: string): Promise<SshExecOutput> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let code: number | null = null;
      channel.on('data', (chunk: Buffer) => stdout.push(chunk));
      channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      channel.on('exit', (exitCode: number | null) => (code = exitCode));
      channel.on('close', () => resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }));
    });
  });
}
