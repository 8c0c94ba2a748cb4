/**
 * crds/generated/ (the CRDs as data and ajv's standalone validators, made at build by crds/generate-schemas.mjs)
 * cannot drift from crds/*.yaml: the files are what the generator makes of the YAML today, the data is the YAML
 * parsed, and every standalone validator answers as the same CRD compiled by ajv at run time — the same verdict,
 * the same errors and the same defaults filled in — on the shipped manifests, the test fixtures and generated
 * documents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { crdFiles } from '../../crds/generated/crds.js';
import { validators } from '../../crds/generated/validators.js';
import { createSchemaAjv, DURATION_KEYWORD, generateSchemaModules } from '../../crds/generate-schemas.mjs';
import { defaultSchemas, findCrdDir, type SchemaNode } from '../../controller/manifests/index.js';
import { DURATION_KEYWORD as RUNTIME_DURATION_KEYWORD } from '../../controller/manifests/schema.js';
import { durationOutOfBounds } from '../../reconcilers/core/duration.js';
import { hostManifest, keepaliveManifest } from '../support/lab.js';
import { dataTreeManifest, manifestDoc } from '../support/manifests.js';
import { BROKEN_MANIFEST } from './broken-manifest.js';
import { documentOf } from './schema-arbitrary.js';

const crdDir = findCrdDir();
const yamlFiles = readdirSync(crdDir).filter((name) => /\.ya?ml$/.test(name)).sort();
const schemaOf = (document: unknown) =>
  (document as { spec: { versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> } }).spec.versions[0]!.schema.openAPIV3Schema;

describe('crds/generated/', () => {
  it('is what crds/generate-schemas.mjs makes of crds/*.yaml today (else run `npm run build`)', () => {
    for (const [name, text] of Object.entries(generateSchemaModules())) {
      const committed = readFileSync(join(crdDir, 'generated', name), 'utf8');
      expect(committed === text, `crds/generated/${name} is stale: run \`npm run build\``).toBe(true);
    }
  });

  it('holds every CRD file, in order, as its YAML parses', () => {
    expect(crdFiles.map((f) => f.file)).toEqual(yamlFiles);
    for (const { file, document } of crdFiles) expect(document, file).toEqual(parse(readFileSync(join(crdDir, file), 'utf8')));
    expect(validators).toHaveLength(crdFiles.length);
  });

  it('spells the duration keyword as the registry does', () => {
    expect(DURATION_KEYWORD).toBe(RUNTIME_DURATION_KEYWORD);
  });
});

/** Per kind: the standalone validator the registry uses, and the same CRD compiled by ajv in this process. */
const runtimeAjv = createSchemaAjv({ durationOutOfBounds });
const pairs = new Map(
  yamlFiles.map((file) => {
    const schema = schemaOf(parse(readFileSync(join(crdDir, file), 'utf8')));
    const kind = schema.properties!.kind!.enum![0] as string;
    return [kind, { standalone: defaultSchemas().get(kind)!.validate, runtime: runtimeAjv.compile(schema), schema }] as const;
  }),
);

/** Both validators on their own copy of `doc`: the verdicts, the errors and the documents (defaults filled in) must match. */
function expectSameAnswer(kind: string, doc: unknown): void {
  const { standalone, runtime } = pairs.get(kind)!;
  const a = structuredClone(doc);
  const b = structuredClone(doc);
  const verdict = standalone(a);
  expect(verdict, JSON.stringify(doc)).toBe(runtime(b));
  expect(standalone.errors ?? null, JSON.stringify(doc)).toEqual(runtime.errors ?? null);
  expect(a).toEqual(b);
}

/** The YAML documents of manifest text, as data, by kind. */
function documentsOf(text: string): Array<[string, unknown]> {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as { kind?: unknown } | null)
    .filter((doc): doc is { kind: string } => typeof doc?.kind === 'string' && pairs.has(doc.kind))
    .map((doc) => [doc.kind, doc]);
}

function shippedManifests(): string[] {
  const texts: string[] = [];
  for (const name of ['lab', 'sandbox']) {
    const dir = join(crdDir, '..', 'manifests', name);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) texts.push(readFileSync(join(dir, file), 'utf8'));
  }
  return texts;
}

describe('the standalone validators answer as ajv compiling the CRDs at run time', () => {
  it('on the shipped manifests, the test fixtures and a file with every sort of mistake', () => {
    const fixtures = [
      ...shippedManifests(),
      hostManifest('local', '/srv/root'),
      keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', interval: '30s', requireMountpoint: false }),
      keepaliveManifest('bad', { path: '/mnt/hdd', interval: 'often', bogus: 'x' }),
      dataTreeManifest(),
      manifestDoc('LxcDevice', 'ct', { container: '101', devices: [{ preset: 'tun' }] }),
      BROKEN_MANIFEST,
    ];
    const documents = fixtures.flatMap(documentsOf);
    expect(new Set(documents.map(([kind]) => kind))).toEqual(new Set(pairs.keys()));
    let invalid = 0;
    for (const [kind, doc] of documents) {
      expectSameAnswer(kind, doc);
      if (!pairs.get(kind)!.standalone(structuredClone(doc))) invalid++;
    }
    expect(invalid).toBeGreaterThanOrEqual(6); // the mistakes were seen, not only valid documents
  });

  it.each([...pairs.keys()])('on generated %s documents, valid and not', (kind) => {
    const { schema, standalone } = pairs.get(kind)!;
    let valid = 0;
    fc.assert(
      fc.property(documentOf(schema), (doc) => {
        expectSameAnswer(kind, doc);
        if (standalone(structuredClone(doc))) valid++;
      }),
      { numRuns: 300 },
    );
    // The generator reaches both sides (a document of only wrong values would test little).
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(300);
  });
});
