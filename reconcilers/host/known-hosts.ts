/**
 * OpenSSH host keys: parsing `known_hosts` (plain and hashed `|1|salt|hash` names, `[host]:port`, patterns
 * with `*`/`?`/`!`, `@revoked`), SHA256 fingerprints as `ssh-keygen -lf` prints them, and the verdict for an
 * offered key. Pure functions; reading and appending the file lives in `host-key-policy.ts`.
 */
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  marker: 'cert-authority' | 'revoked' | undefined;
  /** The raw host field: comma-separated patterns, or one hashed `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** Base64 of the public key blob. */
  key: string;
  line: number;
}

export type HostKeyVerdict =
  | { status: 'trusted' }
  | { status: 'unknown' }
  | { status: 'changed'; knownFingerprints: string[] }
  | { status: 'revoked' };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    entries.push({ marker, hosts, keyType, key, line: index + 1 });
  });
  return entries;
}

/** The name known_hosts uses for a host: `address`, or `[address]:port` when the port is not 22. */
export function knownHostName(address: string, port = 22): string {
  return port === 22 ? address.toLowerCase() : `[${address.toLowerCase()}]:${port}`;
}

function wildcardMatches(pattern: string, name: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

/** Whether a known_hosts host field names `hostName` (from `knownHostName`). */
export function hostFieldMatches(field: string, hostName: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostName).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (wildcardMatches(body, hostName)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** `SHA256:` + unpadded base64 of the key blob's SHA-256, as `ssh-keygen -lf` prints it. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts `SHA256:abc`, `sha256:abc=` or a bare `abc`; returns the canonical `SHA256:abc`. */
export function normalizeFingerprint(fingerprint: string): string {
  const body = fingerprint.trim().replace(/^sha256:/i, '').replace(/=+$/, '');
  return `SHA256:${body}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** The verdict for `keyBlob` offered by `hostName`; a key that differs from every known one is `changed`. */
export function verifyAgainstKnownHosts(entries: KnownHostEntry[], hostName: string, keyBlob: Buffer): HostKeyVerdict {
  const offered = keyBlob.toString('base64');
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, hostName));
  if (entries.some((e) => e.marker === 'revoked' && e.key === offered)) return { status: 'revoked' };
  const known = forHost.filter((e) => e.marker === undefined);
  if (known.some((e) => e.key === offered)) return { status: 'trusted' };
  if (known.length === 0) return { status: 'unknown' };
  return { status: 'changed', knownFingerprints: known.map((e) => sshFingerprint(Buffer.from(e.key, 'base64'))) };
}

/** The key types known for a host, so that the server is asked for one of those (as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostEntry[], hostName: string): string[] {
  const types = new Set<string>();
  for (const e of entries) {
    if (e.marker === undefined && hostFieldMatches(e.hosts, hostName)) types.add(e.keyType);
  }
  return [...types];
}

/** ssh2 `serverHostKey` algorithm names for known_hosts key types (RSA keys sign with SHA-2 when they can). */
export function hostKeyAlgorithmsFor(keyTypes: string[]): string[] {
  const algorithms: string[] = [];
  for (const type of keyTypes) {
    if (type === 'ssh-rsa') algorithms.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else algorithms.push(type);
  }
  return algorithms;
}

/** One known_hosts line for a host (plain, unhashed name). */
export function knownHostsLine(hostName: string, keyBlob: Buffer): string {
  return `${hostName} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}`;
}
