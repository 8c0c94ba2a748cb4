/**
 * JSON Schemas for editors (e.g. yaml-language-server), derived from the CRDs like everything else: one kind's
 * document schema, or one schema for any homeostat document that picks the kind's schema by `kind:`, so a
 * multi-document file gets completion and checks for every kind it holds.
 */
import { defaultSchemas, type SchemaRegistry } from './schema.js';

const DRAFT = 'http://json-schema.org/draft-07/schema#';

export function kindJsonSchema(kind: string, schemas: SchemaRegistry = defaultSchemas()): Record<string, unknown> {
  const found = schemas.lookup(kind);
  if (!found) throw new Error(`unknown kind "${kind}"; known kinds: ${schemas.kinds.join(', ')}`);
  return { $schema: DRAFT, title: `homeostat ${found.kind}`, ...(found.schema as Record<string, unknown>) };
}

/** Any homeostat document: `kind` must be one of ours, and then that kind's schema applies. */
export function documentJsonSchema(schemas: SchemaRegistry = defaultSchemas()): Record<string, unknown> {
  return {
    $schema: DRAFT,
    title: 'homeostat manifest',
    type: 'object',
    required: ['apiVersion', 'kind'],
    properties: { kind: { enum: schemas.kinds } },
    allOf: schemas.kinds.map((kind) => ({
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      then: schemas.get(kind)!.schema,
    })),
  };
}
