/**
 * How an SSH host's key is trusted: a pinned `SHA256:` fingerprint, or a known_hosts file (default
 * `~/.ssh/known_hosts`). An unknown key is refused (`EHOSTKEY`, showing the offered fingerprint) unless
 * trust-on-first-use is on, which appends it to the known_hosts file atomically; a changed or revoked key
 * is always refused.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostError, isHostError } from './host.js';
import {
  hostKeyAlgorithmsFor,
  keyTypeOfBlob,
  knownHostName,
  knownHostsLine,
  knownKeyTypes,
  normalizeFingerprint,
  parseKnownHosts,
  sshFingerprint,
  verifyAgainstKnownHosts,
} from './known-hosts.js';
import { writeFileAtomicLocal } from './local-write.js';

export interface HostKeyPolicyOptions {
  /** The Host resource's name (for errors). */
  hostName: string;
  address: string;
  port: number;
  knownHostsFile?: string;
  hostKeyFingerprint?: string;
  trustOnFirstUse?: boolean;
}

export class HostKeyPolicy {
  readonly knownHostsFile: string;
  private readonly lookupName: string;

  constructor(private readonly opts: HostKeyPolicyOptions) {
    this.knownHostsFile = opts.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts');
    this.lookupName = knownHostName(opts.address, opts.port);
  }

  private async readKnownHosts(): Promise<string> {
    return (await this.readKnownHostsBytes())?.toString('utf8') ?? '';
  }

  private async readKnownHostsBytes(): Promise<Buffer | null> {
    try {
      return await readFile(this.knownHostsFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.unreadable(err);
    }
  }

  /**
   * Host key algorithms to ask for: the types already known for this host, or `undefined` (ssh2's defaults).
   * Read synchronously (one small local file), so that a connection starts in the same tick it is asked for:
   * the handshake then overlaps whatever the process does next instead of waiting for it.
   */
  hostKeyAlgorithms(): string[] | undefined {
    if (this.opts.hostKeyFingerprint !== undefined) return undefined;
    let text = '';
    try {
      text = readFileSync(this.knownHostsFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.unreadable(err);
    }
    const types = knownKeyTypes(parseKnownHosts(text), this.lookupName);
    return types.length > 0 ? hostKeyAlgorithmsFor(types) : undefined;
  }

  private unreadable(err: unknown): HostError {
    return new HostError('EHOSTKEY', `cannot read known_hosts ${this.knownHostsFile}: ${(err as Error).message}`, this.opts.hostName, undefined, { cause: err });
  }

  /** Resolves when `keyBlob` may be trusted; rejects with `EHOSTKEY` otherwise. */
  async verify(keyBlob: Buffer): Promise<void> {
    const offered = `${keyTypeOfBlob(keyBlob)} ${sshFingerprint(keyBlob)}`;
    const refuse = (why: string): never => {
      throw new HostError('EHOSTKEY', `host key for ${this.lookupName} ${why} (offered ${offered})`, this.opts.hostName);
    };
    if (this.opts.hostKeyFingerprint !== undefined) {
      if (normalizeFingerprint(this.opts.hostKeyFingerprint) === sshFingerprint(keyBlob)) return;
      refuse(`does not match the pinned fingerprint ${normalizeFingerprint(this.opts.hostKeyFingerprint)}`);
    }
    const verdict = verifyAgainstKnownHosts(parseKnownHosts(await this.readKnownHosts()), this.lookupName, keyBlob);
    switch (verdict.status) {
      case 'trusted':
        return;
      case 'revoked':
        return refuse(`is marked @revoked in ${this.knownHostsFile}`);
      case 'changed':
        return refuse(`HAS CHANGED: ${this.knownHostsFile} knows ${verdict.knownFingerprints.join(', ')}; refusing to connect`);
      case 'unknown':
        if (!this.opts.trustOnFirstUse) {
          return refuse(`is unknown: not in ${this.knownHostsFile} (add it, pin hostKeyFingerprint, or set trustOnFirstUse)`);
        }
        await this.remember(keyBlob);
    }
  }

  /** Appends the key with a compare-and-swap loop, so concurrent first uses do not lose each other's lines. */
  private async remember(keyBlob: Buffer): Promise<void> {
    await mkdir(dirname(this.knownHostsFile), { recursive: true, mode: 0o700 });
    for (let attempt = 0; ; attempt++) {
      const bytes = await this.readKnownHostsBytes();
      const current = bytes?.toString('utf8') ?? '';
      const verdict = verifyAgainstKnownHosts(parseKnownHosts(current), this.lookupName, keyBlob);
      if (verdict.status === 'trusted') return;
      if (verdict.status !== 'unknown') return this.verify(keyBlob);
      const separator = bytes === null || bytes.length === 0 || bytes[bytes.length - 1] === 0x0a ? '' : '\n';
      const line = `${separator}${knownHostsLine(this.lookupName, keyBlob)}\n`;
      try {
        await writeFileAtomicLocal(this.opts.hostName, this.knownHostsFile, this.knownHostsFile, Buffer.concat([bytes ?? Buffer.alloc(0), Buffer.from(line)]), {
          expected: bytes,
        });
        return;
      } catch (err) {
        if (!isHostError(err, 'ECONFLICT') || attempt >= 5) throw err;
      }
    }
  }
}
