/**
 * Secret files are checked when read: one line (one trailing newline, LF or CRLF, is stripped), valid UTF-8, no
 * control character, and printable ASCII for a value sent as an HTTP header (the control server's API key). A bad
 * file is a SecretFileError that names the field and the file and says what is wrong — never any of its content —
 * and its content is registered with the redactor all the same.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failureReason } from '../../reconcilers/core/errors.js';
import { redact } from '../../reconcilers/core/redact.js';
import { sha256 } from '../../reconcilers/core/redact.js';
import { readSecret, readSecretHashes, SecretFileError, type SecretRef } from '../../reconcilers/core/secret-files.js';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-secret-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const A = 'f00dcafe1234abcd';
const B = '9876beefdeadc0de';

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

async function failure(ref: SecretRef): Promise<SecretFileError> {
  const err = await readSecret(ref).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SecretFileError);
  return err as SecretFileError;
}

const apiKey = (path: string): SecretRef => ({ field: 'spec.gateway.controlServer.apiKey', file: path, header: true });
const envRef = (path: string): SecretRef => ({ field: 'spec.gateway.secretEnv.WIREGUARD_PRIVATE_KEY', file: path });

describe('secret files', () => {
  it('accepts one line, stripping one trailing LF or CRLF', async () => {
    expect(await readSecret(apiKey(file('lf', `${A}\n`)))).toBe(A);
    expect(await readSecret(apiKey(file('crlf', `${A}\r\n`)))).toBe(A);
    expect(await readSecret(envRef(file('utf8', `clé-${A}`)))).toBe(`clé-${A}`); // an env value may be any text
  });

  it.each([
    ['an inner newline', `${A}\n${B}\n`, envRef, 'must hold a single line'],
    ['two trailing newlines', `${A}${B}\n\n`, envRef, 'must hold a single line'],
    ['an inner carriage return', `${A}\r${B}`, envRef, 'must hold a single line'],
    ['a NUL', `${A}\u0000${B}`, envRef, 'contains a control character'],
    ['a tab', `${A}\t${B}`, apiKey, 'contains a control character'],
    ['a non-Latin-1 character in a header value', `${A}€${B}`, apiKey, 'must be printable ASCII (it is sent as an HTTP header)'],
    ['a Latin-1 but non-ASCII character in a header value', `${A}é${B}`, apiKey, 'must be printable ASCII'],
    ['nothing', '\n', envRef, 'is empty'],
  ])('refuses %s, naming the field and the file, never the content', async (_what, content, ref, says) => {
    const path = file(`bad-${sha256(content).slice(0, 8)}`, content);
    const err = await failure(ref(path));
    expect(err.message.startsWith(`${ref(path).field}: secret file ${path} `)).toBe(true);
    expect(err.message).toContain(says);
    expect(err.message).not.toContain(A.slice(0, 6));
    expect(err.message).not.toContain(B.slice(0, 6));
    expect(failureReason(err)).toBe('SecretFileInvalid');
  });

  it('refuses a file that is not UTF-8, and registers what it read with the redactor all the same', async () => {
    const path = file('latin1', Buffer.concat([Buffer.from(A), Buffer.from([0xff, 0xfe]), Buffer.from(B)]));
    const err = await failure(envRef(path));
    expect(err.message).toBe(`spec.gateway.secretEnv.WIREGUARD_PRIVATE_KEY: secret file ${path} is not valid UTF-8 text`);
    expect(redact(`echoed: ${A}\u00ff\u00fe${B}`)).not.toContain(A);

    const multi = file('multi', `${A}-multi\n${B}-multi\n`);
    await failure(envRef(multi));
    expect(redact(JSON.stringify({ value: `${A}-multi\n${B}-multi` }))).not.toContain(`${A}-multi`);
  });

  it('a missing or unreadable file keeps its own reason', async () => {
    const missing = await failure(envRef(join(dir, 'nope')));
    expect(missing.message).toBe(`spec.gateway.secretEnv.WIREGUARD_PRIVATE_KEY: secret file ${join(dir, 'nope')} does not exist`);
    expect(failureReason(missing)).toBe('SecretFileMissing');
    const folder = await failure(envRef(dir));
    expect(failureReason(folder)).toBe('SecretFileUnreadable');
    expect(folder.message).toContain('(EISDIR)');
  });

  it('a file used both as env and as the API key is checked for both uses', async () => {
    const shared = file('shared', `${A}é\n`);
    const hashes = readSecretHashes([envRef(shared), apiKey(shared)]);
    await expect(hashes).rejects.toThrow(`spec.gateway.controlServer.apiKey: secret file ${shared} must be printable ASCII`);
  });
});
