#!/usr/bin/env node
/**
 * Writes crds/types.ts, the TypeScript types of every kind's spec, from the CRDs beside this script, so that the
 * types and the validation schema cannot drift apart. Run it with `npm run gen:types` (`--check` exits 1 when
 * crds/types.ts is stale instead of writing it); test/manifests/types.test.ts fails when it is stale.
 *
 * Rules: a field with a `default` is required in the type (validation, ajv with useDefaults, fills it in before any
 * code sees a spec); an object schema with a `title` becomes a named interface (same title, same schema);
 * `oneOf`/`anyOf` branches that only list `required` fields constrain values, not shapes, and only add a doc line.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';

const CRD_DIR = dirname(fileURLToPath(import.meta.url));
const OUTPUT = join(CRD_DIR, 'types.ts');
const WIDTH = 118;

/** The generated source for the CRDs in `crdDir` (default: this script's folder). */
export function generateTypes(crdDir = CRD_DIR) {
  const specSchemas = readdirSync(crdDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => parse(readFileSync(join(crdDir, name), 'utf8')))
    .filter((doc) => doc?.kind === 'CustomResourceDefinition')
    .map((crd) => [crd.spec.names.kind, crd.spec.versions[0].schema.openAPIV3Schema.properties.spec])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const named = new Map(); // title -> the shape shared by every schema with that title
  for (const [, schema] of specSchemas) collectNamed(schema, named, true);
  const specs = specSchemas.map(([kind, schema]) => renderInterface(`${kind}Spec`, schema));
  const namedSources = [...named.keys()].sort().map((title) => renderInterface(title, named.get(title)));

  const kinds = specSchemas.map(([kind]) => kind);
  return [
    '/**',
    ' * The spec type of every kind, generated from the CRDs in crds/*.yaml by crds/generate-types.mjs: do not edit,',
    ' * run `npm run gen:types`. A field with a default is not optional here: validation fills it in.',
    ' */',
    '',
    ...specs,
    ...namedSources,
    '/** The spec type of each kind. */',
    'export interface SpecsByKind {',
    ...kinds.map((kind) => `  ${kind}: ${kind}Spec;`),
    '}',
    '',
    'export type KindName = keyof SpecsByKind;',
    '',
  ].join('\n');
}

function renderInterface(name, schema) {
  const lines = [...docComment(describe(schema, { withDefault: false }), ''), `export interface ${name} {`];
  lines.push(...renderFields(schema, '  '));
  lines.push('}', '');
  return lines.join('\n');
}

function renderFields(schema, indent) {
  const required = new Set(schema.required ?? []);
  const lines = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const optional = !required.has(key) && child.default === undefined;
    lines.push(...docComment(describe(child), indent));
    lines.push(`${indent}${propertyName(key)}${optional ? '?' : ''}: ${typeOf(child, indent)};`);
  }
  return lines;
}

function typeOf(schema, indent) {
  if (schema.title && schema.type === 'object') return schema.title;
  if (schema.enum) return schema.enum.map(literal).join(' | ');
  const branches = (schema.oneOf ?? schema.anyOf ?? []).filter((branch) => branch.type);
  if (!schema.type && branches.length > 0) return branches.map((b) => typeOf(b, indent)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const item = typeOf(schema.items ?? {}, indent);
      return /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'object': {
      if (schema.properties) {
        return ['{', ...renderFields(schema, indent + '  '), `${indent}}`].join('\n');
      }
      const values = schema.additionalProperties;
      if (values && typeof values === 'object') return `Record<string, ${typeOf(values, indent)}>`;
      return 'Record<string, unknown>';
    }
    default:
      return 'unknown';
  }
}

/** Registers every titled object schema under `schema` (the top one too unless `isTop`). */
function collectNamed(schema, named, isTop = false) {
  if (!schema || typeof schema !== 'object') return;
  if (!isTop && schema.title && schema.type === 'object') registerNamed(schema, named);
  for (const child of Object.values(schema.properties ?? {})) collectNamed(child, named);
  collectNamed(schema.items, named);
  collectNamed(schema.additionalProperties, named);
  for (const branch of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) collectNamed(branch, named);
}

/**
 * Named types are shared by title: every use of a title must have the same schema, except for its description and
 * default, which belong to the use. The interface keeps a description only when all uses agree on it.
 */
function registerNamed(schema, named) {
  const { description, default: _default, ...shape } = schema;
  const existing = named.get(schema.title);
  if (!existing) {
    named.set(schema.title, { ...shape, description });
  } else if (!isDeepStrictEqual({ ...existing, description: undefined }, { ...shape, description: undefined })) {
    throw new Error(`two different schemas are titled ${schema.title}: give one of them another title`);
  } else if (existing.description !== description) {
    existing.description = undefined;
  }
}

function describe(schema, { withDefault = true } = {}) {
  const parts = [];
  if (schema.description) parts.push(schema.description.trim());
  const exclusive = (schema.oneOf ?? []).map((branch) => branch.required ?? []);
  if (exclusive.length > 0 && exclusive.every((names) => names.length === 1)) {
    parts.push(`Exactly one of: ${exclusive.map(([name]) => name).join(', ')}.`);
  }
  if (withDefault && schema.default !== undefined) parts.push(`@default ${JSON.stringify(schema.default)}`);
  return parts.join('\n');
}

function docComment(text, indent) {
  if (!text) return [];
  const width = WIDTH - indent.length - 3;
  const lines = text.split('\n').flatMap((paragraph) => wrap(paragraph, width));
  if (lines.length === 1 && indent.length + lines[0].length + 7 <= WIDTH) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((line) => `${indent} * ${line}`.trimEnd()), `${indent} */`];
}

function wrap(paragraph, width) {
  const lines = [];
  let line = '';
  for (const word of paragraph.split(/\s+/).filter(Boolean)) {
    const escaped = word.replaceAll('*/', '*\\/');
    if (line && line.length + 1 + escaped.length > width) {
      lines.push(line);
      line = escaped;
    } else {
      line = line ? `${line} ${escaped}` : escaped;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function propertyName(key) {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : literal(key);
}

function literal(value) {
  if (typeof value !== 'string') return JSON.stringify(value);
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const source = generateTypes();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUTPUT, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== source) {
      console.error('crds/types.ts is stale: run `npm run gen:types`');
      process.exit(1);
    }
  } else {
    writeFileSync(OUTPUT, source);
    console.log('wrote crds/types.ts');
  }
}
