/**
 * The editor schema (`homeostat schema`) accepts the shipped manifests and rejects what `validate` rejects,
 * checked with a generic JSON Schema validator the way an editor would use it.
 */
import { Ajv } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { documentJsonSchema, kindJsonSchema } from '../../controller/manifests/index.js';

const lab = fileURLToPath(new URL('../../manifests/lab/', import.meta.url));
const documents = readdirSync(lab)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(lab + f, 'utf8')).map((d) => d.toJS() as Record<string, unknown>));

describe('JSON Schema for editors', () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(documentJsonSchema());

  it('accepts every document of the lab, whatever its kind', () => {
    expect(documents.length).toBeGreaterThanOrEqual(6);
    for (const doc of documents) expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects an unknown kind, an unknown field and a bad value, like validate', () => {
    const keepalive = documents.find((d) => d.kind === 'StorageKeepalive')!;
    expect(validate({ ...keepalive, kind: 'Nope' })).toBe(false);
    expect(validate({ ...keepalive, spec: { ...(keepalive.spec as object), bogus: 1 } })).toBe(false);
    expect(validate({ ...keepalive, spec: { ...(keepalive.spec as object), interval: 'often' } })).toBe(false);
  });

  it('gives one kind on its own, by any of its names', () => {
    const schema = kindJsonSchema('storagekeepalive');
    expect(schema.title).toBe('homeostat StorageKeepalive');
    expect(() => kindJsonSchema('Nope')).toThrow(/known kinds: Host, LxcDevice, Notifier, StorageKeepalive, UnifiedNamespace, VpnSidecar/);
  });
});
