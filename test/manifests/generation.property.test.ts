/** Property: a resource's generation depends on what the spec says, never on how the YAML is written. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseManifestFile } from '../../controller/manifests/index.js';

const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
const spec = fc.record(
  {
    host: fc.constantFrom('local', 'pve', 'nas-1'),
    path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    // Any duration the CRD accepts: from 1s to 24h.
    interval: fc.oneof(
      fc.integer({ min: 1_000, max: 99_999 }).map((n) => `${n}ms`),
      fc.integer({ min: 1, max: 999 }).map((n) => `${n}s`),
      fc.integer({ min: 1, max: 999 }).map((n) => `${n}m`),
      fc.integer({ min: 1, max: 24 }).map((n) => `${n}h`),
    ),
    method: fc.constantFrom('write-fsync', 'touch'),
    mode: fc.constantFrom('controller', 'cron'),
    requireMountpoint: fc.boolean(),
    file: segment,
  },
  { requiredKeys: ['path'] },
);
const annotations = fc.dictionary(fc.constantFrom('homeostat.dev/suspend', 'homeostat.dev/prune', 'note', 'owner'), fc.string());

/** The same document with its mapping keys in an order chosen by `order`. */
function shuffled(value: unknown, order: number[]): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffled(v, order));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const ranked = entries.map((entry, i) => ({ entry, rank: order[i % Math.max(order.length, 1)] ?? i }));
  ranked.sort((a, b) => a.rank - b.rank);
  return Object.fromEntries(ranked.map(({ entry: [k, v] }) => [k, shuffled(v, order)]));
}

function generationOf(document: unknown, quoting: 'PLAIN' | 'QUOTE_DOUBLE'): string {
  const text = stringify(document, { defaultStringType: quoting, defaultKeyType: 'PLAIN' });
  const { resources, errors } = parseManifestFile('a.yaml', text);
  expect(errors).toEqual([]);
  return resources[0]!.generation;
}

const doc = (s: object, a: Record<string, string>) => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'StorageKeepalive',
  metadata: { name: 'disk', annotations: a },
  spec: s,
});

describe('generation (property)', () => {
  it('is the same for any key order and quoting style', () => {
    fc.assert(
      fc.property(spec, annotations, fc.array(fc.nat(100), { minLength: 1, maxLength: 10 }), (s, a, order) => {
        const original = generationOf(doc(s, a), 'PLAIN');
        expect(generationOf(shuffled(doc(s, a), order), 'QUOTE_DOUBLE')).toBe(original);
      }),
      { numRuns: 200 },
    );
  });

  it('changes whenever a spec value changes', () => {
    fc.assert(
      fc.property(spec, spec, (a, b) => {
        const defaults = { host: 'local', interval: '5m', method: 'write-fsync', mode: 'controller', requireMountpoint: true, file: '.homeostat-keepalive' };
        fc.pre(JSON.stringify({ ...defaults, ...a }, Object.keys(defaults).concat('path').sort()) !==
          JSON.stringify({ ...defaults, ...b }, Object.keys(defaults).concat('path').sort()));
        expect(generationOf(doc(a, {}), 'PLAIN')).not.toBe(generationOf(doc(b, {}), 'PLAIN'));
      }),
      { numRuns: 200 },
    );
  });
});
