/**
 * A secret value that ends up in a thrown error never reaches the state store (what `get`, `describe` and the HTTP
 * API read): the real controller and SQLite store, with a tiny kind that reads a secret file and then fails with
 * the value in its error — a plain Error, a retryable or a stalled error, a thrown string, an error's cause. The
 * stored events, conditions and status fields show `<secret sha256:…>`, and the SQLite files hold no byte of it.
 * The store redacts on its own too (events, status, controller conditions written directly).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getCondition } from '../../controller/state/conditions.js';
import { emptyStatus } from '../../controller/state/store.js';
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';
import { RetryableError, StalledError } from '../../reconcilers/core/errors.js';
import { sha256, showSecret } from '../../reconcilers/core/redact.js';
import type { Resource } from '../../reconcilers/core/resource.js';
import { hostKindReconciler } from '../../reconcilers/host-kind/index.js';
import { readSecret } from '../../reconcilers/core/secret-files.js';
import { useControllerLab } from '../support/controller-lab.js';
import { testResource, testSnapshot } from '../support/resource.js';

const lab = useControllerLab('homeostat-secret-store-');

/** Every byte of the state directory (database, WAL, shared memory) as Latin-1 text. */
function stateBytes(): string {
  return readdirSync(lab.stateDir)
    .map((f) => readFileSync(join(lab.stateDir, f)).toString('latin1'))
    .join('\n');
}

type Thrower = (secret: string) => unknown;
const throwers: Record<string, Thrower> = {
  plain: (s) => new Error(`Headers.append: "${s}" is an invalid header value.`),
  retryable: (s) => new RetryableError('LeakyFailure', `upstream answered 500 for key ${s}`),
  stalled: (s) => new StalledError('LeakyStall', `cannot use ${JSON.stringify({ apikey: s })}`),
  string: (s) => `a thrown string with ${s}`,
  cause: (s) => new Error(`wrapped: ${new Error(`inner ${s}`).message}`),
};

/** `Leaky`: reads its secret file, then fails with an error that embeds the value. */
const leaky: Reconciler<{ host: string; file: string; how: string }, null> = {
  kind: 'Leaky',
  hostOf: (spec) => spec.host,
  async observe(ctx) {
    const value = await readSecret({ field: 'spec.file', file: ctx.resource.spec.file });
    throw throwers[ctx.resource.spec.how]!(value);
  },
  plan: () => ({ changes: [] }),
  async apply() {},
  async finalize() {},
};

describe('a secret in a thrown error', () => {
  it('is redacted in every stored event and condition, and no byte of it is in the SQLite files', async () => {
    const secrets: Record<string, string> = {};
    const resources: Resource[] = [testResource('Host', 'lab', { root: lab.root })];
    for (const how of Object.keys(throwers)) {
      secrets[how] = `sk-${how}-${sha256(how + lab.dir).slice(0, 20)}`;
      const file = join(lab.dir, `${how}.key`);
      writeFileSync(file, `${secrets[how]}\n`, { mode: 0o600 });
      resources.push(testResource('Leaky', how, { host: 'lab', file, how }));
    }
    const { controller } = lab.start([hostKindReconciler, leaky as Reconciler<any, any, Change>], { backoffBaseMs: 60_000 });
    await controller.accept(testSnapshot(...resources));
    await controller.idle();

    for (const [how, secret] of Object.entries(secrets)) {
      const shown = showSecret(sha256(secret));
      const ready = getCondition(lab.store.getStatus('Leaky', how).conditions, 'Ready');
      expect(ready?.status, how).toBe('False');
      expect(ready?.message, how).toContain(shown);
      expect(ready?.message, how).not.toContain(secret);
      const events = lab.store.listEvents('Leaky', how);
      expect(events.length, how).toBeGreaterThan(0);
      expect(events.map((e) => e.message).join('\n'), how).toContain(shown);
      expect(JSON.stringify(events), how).not.toContain(secret);
    }
    expect(getCondition(lab.store.getStatus('Leaky', 'stalled').conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'LeakyStall' });
    lab.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = stateBytes();
    for (const secret of Object.values(secrets)) expect(bytes).not.toContain(secret.slice(3));
  });

  it('the store redacts what is written to it directly: events, status fields, controller conditions', async () => {
    const secret = `direct-${sha256(lab.dir).slice(0, 24)}`;
    const file = join(lab.dir, 'direct.key');
    writeFileSync(file, secret);
    await readSecret({ field: 'spec.file', file });
    const shown = showSecret(sha256(secret));
    lab.store.recordEvent('Leaky', 'direct', 'Warning', 'Failed', `failed with ${secret}`);
    lab.store.recordEvent('Leaky', 'direct', 'Warning', 'Failed', `failed with ${secret}`); // a repeat: counted, not added
    lab.store.putStatus('Leaky', 'direct', {
      ...emptyStatus(),
      conditions: [{ type: 'Ready', status: 'False', reason: 'Failed', message: `no: ${secret}`, observedGeneration: 'g1', lastTransitionTime: new Date(0).toISOString() }],
      fields: { lastError: `key=${secret}` },
    });
    lab.store.putControllerCondition({ type: 'ManifestsValid', status: 'False', reason: 'Invalid', message: `a.yaml:1:1 ${secret}`, observedGeneration: '', lastTransitionTime: new Date(0).toISOString() });
    expect(lab.store.listEvents('Leaky', 'direct')).toEqual([expect.objectContaining({ message: `failed with ${shown}`, count: 2 })]);
    expect(lab.store.getStatus('Leaky', 'direct').conditions[0]!.message).toBe(`no: ${shown}`);
    expect(lab.store.getStatus('Leaky', 'direct').fields).toEqual({ lastError: `key=${shown}` });
    expect(lab.store.listControllerConditions()[0]!.message).toBe(`a.yaml:1:1 ${shown}`);
    lab.store.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(stateBytes()).not.toContain(secret.slice('direct-'.length));
  });
});
