/**
 * Log lines pass through the redactor: a secret value read from a file never reaches the log stream, whether it is
 * in the message (formatted or not), a field, an error's message, stack or cause, a child logger's bindings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { createLogger } from '../../reconcilers/core/log.js';
import { sha256, showSecret } from '../../reconcilers/core/redact.js';
import { readSecret } from '../../reconcilers/core/secret-files.js';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-secret-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('no log line carries a secret that was read, in any part of the line', async () => {
  const secret = 'Zq7-log-secret-0f3a9c';
  writeFileSync(join(dir, 'wg.key'), `${secret}\n`, { mode: 0o600 });
  expect(await readSecret({ field: 'spec.gateway.secretEnv.WIREGUARD_PRIVATE_KEY', file: join(dir, 'wg.key') })).toBe(secret);

  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  const err = new Error(`Headers.append: "${secret}" is an invalid header value.`, { cause: new Error(`inner ${secret}`) });
  log.error(err);
  log.warn({ err, resource: 'VpnSidecar/vpn' }, 'reconcile failed');
  log.info(`plain message with ${secret}`);
  log.info('formatted %s message', secret);
  log.info({ detail: { env: [`KEY=${secret}`], json: JSON.stringify({ apikey: secret }) }, other: err }, 'fields');
  log.child({ binding: secret }).info('from a child');
  await new Promise((resolve) => setImmediate(resolve));

  const text = lines.join('');
  expect(lines).toHaveLength(6);
  expect(text).not.toContain(secret);
  expect(text).not.toContain('Zq7-log-secret');
  const shown = showSecret(sha256(secret));
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(parsed[0]).toMatchObject({ msg: `Headers.append: "${shown}" is an invalid header value.`, err: { type: 'Error' } });
  expect((parsed[1]!.err as { stack: string }).stack).toContain(`inner ${shown}`);
  expect(parsed[3]!.msg).toBe(`formatted ${shown} message`);
  expect(parsed[4]).toMatchObject({ detail: { env: [`KEY=${shown}`] } });
  expect(parsed[5]).toMatchObject({ binding: shown });
});
