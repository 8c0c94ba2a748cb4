/**
 * known_hosts parsing and verdicts: plain, `[host]:port`, hashed names, patterns and negation, revoked and
 * changed keys; fingerprints in `ssh-keygen -lf` form.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  hostFieldMatches,
  hostKeyAlgorithmsFor,
  keyTypeOfBlob,
  knownHostName,
  knownHostsLine,
  normalizeFingerprint,
  parseKnownHosts,
  sshFingerprint,
  verifyAgainstKnownHosts,
} from './known-hosts.js';

/** A syntactically valid ssh-ed25519 public key blob with the given filler byte. */
function ed25519Blob(fill: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, fill);
  const header = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([header(type), header(key)]);
}

const keyA = ed25519Blob(1);
const keyB = ed25519Blob(2);
const line = (hosts: string, blob: Buffer) => `${hosts} ssh-ed25519 ${blob.toString('base64')}`;

function hashed(name: string): string {
  const salt = Buffer.alloc(20, 7);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('names hosts as OpenSSH does', () => {
    expect(knownHostName('PVE.lan')).toBe('pve.lan');
    expect(knownHostName('10.0.0.2', 2222)).toBe('[10.0.0.2]:2222');
  });

  it('parses lines, skipping comments, blanks and unknown markers', () => {
    const entries = parseKnownHosts(
      ['# comment', '', line('pve,10.0.0.2', keyA) + ' a comment', `@revoked * ssh-ed25519 ${keyB.toString('base64')}`, '@weird x y z'].join('\n'),
    );
    expect(entries.map((e) => [e.marker, e.hosts, e.line])).toEqual([
      [undefined, 'pve,10.0.0.2', 3],
      ['revoked', '*', 4],
    ]);
  });

  it('matches plain, bracketed, hashed, wildcard and negated host fields', () => {
    expect(hostFieldMatches('pve,10.0.0.2', '10.0.0.2')).toBe(true);
    expect(hostFieldMatches('[10.0.0.2]:2222', '[10.0.0.2]:2222')).toBe(true);
    expect(hostFieldMatches('10.0.0.2', '[10.0.0.2]:2222')).toBe(false);
    expect(hostFieldMatches(hashed('[127.0.0.1]:2200'), '[127.0.0.1]:2200')).toBe(true);
    expect(hostFieldMatches(hashed('[127.0.0.1]:2200'), '[127.0.0.1]:2201')).toBe(false);
    expect(hostFieldMatches('*.lan,!nas.lan', 'pve.lan')).toBe(true);
    expect(hostFieldMatches('*.lan,!nas.lan', 'nas.lan')).toBe(false);
    expect(hostFieldMatches('pve?', 'pve1')).toBe(true);
    expect(hostFieldMatches('PVE', 'pve')).toBe(true);
  });

  it('gives trusted, unknown, changed and revoked verdicts', () => {
    const entries = parseKnownHosts([line('pve', keyA), line('[nas]:2222', keyA), `@revoked old ssh-ed25519 ${keyB.toString('base64')}`].join('\n'));
    expect(verifyAgainstKnownHosts(entries, 'pve', keyA)).toEqual({ status: 'trusted' });
    expect(verifyAgainstKnownHosts(entries, 'other', keyA)).toEqual({ status: 'unknown' });
    expect(verifyAgainstKnownHosts(entries, 'nas', keyA)).toEqual({ status: 'unknown' });
    expect(verifyAgainstKnownHosts(entries, 'old', keyB)).toEqual({ status: 'revoked' });
    expect(verifyAgainstKnownHosts(parseKnownHosts(line('pve', keyA)), 'pve', keyB)).toEqual({
      status: 'changed',
      knownFingerprints: [sshFingerprint(keyA)],
    });
  });

  it('computes fingerprints like ssh-keygen -lf and accepts loose spellings', () => {
    const expected = `SHA256:${createHash('sha256').update(keyA).digest('base64').replace(/=+$/, '')}`;
    expect(sshFingerprint(keyA)).toBe(expected);
    expect(normalizeFingerprint(`sha256:${expected.slice(7)}=`)).toBe(expected);
    expect(normalizeFingerprint(expected.slice(7))).toBe(expected);
  });

  it('reads key types from blobs and builds lines and algorithm lists', () => {
    expect(keyTypeOfBlob(keyA)).toBe('ssh-ed25519');
    expect(knownHostsLine('[h]:2', keyA)).toBe(`[h]:2 ssh-ed25519 ${keyA.toString('base64')}`);
    expect(hostKeyAlgorithmsFor(['ssh-rsa', 'ssh-ed25519'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });
});
