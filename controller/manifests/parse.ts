/**
 * Parses one manifest file: every YAML document in it is validated against its kind's CRD (which fills in
 * defaults) and becomes a Resource with its source position and generation; every problem becomes a ManifestError
 * pointing at the offending node. Documents that are empty are skipped; a document with an error is left out.
 * Pure: the caller reads the file.
 */
import { isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { keyOf, type ObjectMeta, type Resource } from '../../reconcilers/core/resource.js';
import { generationOf } from './generation.js';
import { resolveIdentities } from './identities.js';
import type { ManifestError, ManifestErrorCode } from './manifest-error.js';
import { defaultSchemas, type SchemaRegistry } from './schema.js';
import { describeSchemaErrors } from './schema-errors.js';
import { positionOf, type LinePosition } from './yaml-position.js';

export { formatManifestError, type ManifestError, type ManifestErrorCode } from './manifest-error.js';

export interface ParsedManifestFile {
  /** The valid documents, in file order. */
  resources: Resource[];
  errors: ManifestError[];
}

/** A document as the CRD schema guarantees it once validation passed. */
interface ValidDocument {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
}

/** `relFile`: the file's path relative to the manifests directory, as errors and `source.file` show it. */
export function parseManifestFile(
  relFile: string,
  text: string,
  schemas: SchemaRegistry = defaultSchemas(),
): ParsedManifestFile {
  const lineCounter = new LineCounter();
  const resources: Resource[] = [];
  const errors: ManifestError[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter, prettyErrors: false })) {
    const parsed = parseDocument(doc, { file: relFile, lineCounter, schemas });
    if ('resource' in parsed) resources.push(parsed.resource);
    else errors.push(...parsed.errors);
  }
  // The same identity twice in one file: neither document applies.
  const unique = resolveIdentities(resources);
  return {
    resources: resources.filter((r) => unique.resources.get(keyOf(r)) === r),
    errors: [...errors, ...unique.errors].sort((a, b) => a.line - b.line || a.col - b.col),
  };
}

interface DocumentContext {
  file: string;
  lineCounter: LineCounter;
  schemas: SchemaRegistry;
}

function parseDocument(doc: Document, ctx: DocumentContext): { resource: Resource } | { errors: ManifestError[] } {
  const { file, lineCounter, schemas } = ctx;
  let ref: string | undefined;
  const error = (code: ManifestErrorCode, where: LinePosition, message: string): ManifestError => ({
    code,
    file,
    ...where,
    ...(ref ? { ref } : {}),
    message,
  });

  if (doc.errors.length > 0) {
    return { errors: doc.errors.map((e) => error('YamlSyntax', lineCounter.linePos(e.pos[0]), `YAML syntax error: ${e.message}`)) };
  }
  const contents = doc.contents;
  if (!contents || (isScalar(contents) && contents.value === null)) return { errors: [] };
  const start = lineCounter.linePos(contents.range?.[0] ?? 0);

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    return { errors: [error('YamlSyntax', start, `YAML: ${errorMessage(err)}`)] };
  }
  if (!isRecord(data)) {
    return { errors: [error('NotAMapping', start, 'a manifest document must be a mapping of apiVersion, kind, metadata and spec')] };
  }
  const name = isRecord(data.metadata) ? data.metadata.name : undefined;
  if (typeof data.kind === 'string' && typeof name === 'string') ref = `${data.kind}/${name}`;

  const kindSchema = typeof data.kind === 'string' ? schemas.get(data.kind) : undefined;
  if (!kindSchema) {
    const known = `known kinds: ${schemas.kinds.join(', ')}`;
    return data.kind === undefined
      ? { errors: [error('MissingField', start, `kind: required field missing (${known})`)] }
      : {
          errors: [
            error(
              'UnknownKind',
              positionOf(doc, lineCounter, ['kind'], 'value'),
              `kind: unknown kind ${JSON.stringify(data.kind)} (${known})`,
            ),
          ],
        };
  }

  if (!kindSchema.validate(data)) {
    const violations = describeSchemaErrors(kindSchema.validate.errors ?? [], data);
    return { errors: violations.map((v) => error(v.code, positionOf(doc, lineCounter, v.at, v.part), v.message)) };
  }
  const { apiVersion, kind, metadata, spec } = data as unknown as ValidDocument;
  const { labels, annotations } = metadata;
  return {
    resource: {
      apiVersion,
      kind,
      metadata: { name: metadata.name, labels, annotations },
      spec,
      source: { file, ...start },
      generation: generationOf(spec, annotations),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
