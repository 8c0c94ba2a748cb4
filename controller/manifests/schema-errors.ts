/**
 * Turns ajv's errors into readable violations: each names its field path (`spec.devices[1].path`), says what is
 * wrong in words, and says which YAML node it is about, so the parser can point at its line and column.
 */
import type { ManifestErrorCode } from './manifest-error.js';
import type { SchemaError, SchemaNode } from './schema.js';

export type PathSegment = string | number;

export interface SchemaViolation {
  /** A missing field, an unknown field, or any other value the schema rejects. */
  code: Extract<ManifestErrorCode, 'MissingField' | 'UnknownField' | 'SchemaViolation'>;
  /** The instance path of the node to point at. */
  at: PathSegment[];
  /**
   * Which part of that node: its `value`, its `key` (an unknown field), or the key it sits under, for a missing field
   * (so the error points at `spec:` when `spec.path` is missing).
   */
  part: 'value' | 'key' | 'owner';
  message: string;
}

/** `['spec', 'devices', 1, 'path']` → `spec.devices[1].path`; keys that are not identifiers are quoted. */
export function formatFieldPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || '(document)';
}

/** `document` is the validated value, used to tell list indices from mapping keys that look like numbers. */
export function describeSchemaErrors(errors: readonly SchemaError[], document: unknown): SchemaViolation[] {
  // Errors inside a oneOf's branches only explain why the oneOf failed: the oneOf error says it better.
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const violations: SchemaViolation[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (oneOfPaths.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const violation = describe(error, parsePointer(error.instancePath, document));
    const id = `${violation.at.join('\0')}\0${violation.part}\0${violation.message}`;
    if (!seen.has(id)) violations.push(violation);
    seen.add(id);
  }
  return violations;
}

function describe(error: SchemaError, at: PathSegment[]): SchemaViolation {
  const field = formatFieldPath(at);
  const params = error.params as Record<string, unknown>;
  const got = ` (got ${show(error.data)})`;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return { code: 'MissingField', at, part: 'owner', message: `${formatFieldPath([...at, missing])}: required field missing` };
    }
    case 'additionalProperties': {
      const unknown = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as SchemaNode | undefined)?.properties ?? {});
      const hint = known.length > 0 ? ` (known fields: ${known.join(', ')})` : '';
      return { code: 'UnknownField', at: [...at, unknown], part: 'key', message: `${formatFieldPath([...at, unknown])}: unknown field${hint}` };
    }
    case 'type': {
      const expected = String(params.type);
      // YAML reads `100`, `0775`, `on` and `true` as numbers and booleans.
      const quote =
        expected === 'string' && (typeof error.data === 'number' || typeof error.data === 'boolean')
          ? ' (put it in quotes)'
          : '';
      return { code: 'SchemaViolation', at, part: 'value', message: `${field}: must be ${article(expected)}, got ${show(error.data)}${quote}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => String(v));
      const what = allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`;
      return { code: 'SchemaViolation', at, part: 'value', message: `${field}: must be ${what}${got}` };
    }
    case 'pattern': {
      // The regexp alone is hard to read: the field's description says the rule in words.
      const rule = (error.parentSchema as SchemaNode | undefined)?.description?.trim();
      const message = `${field}: must match pattern ${String(params.pattern)}${got}${rule ? ` - ${rule}` : ''}`;
      return { code: 'SchemaViolation', at, part: 'value', message };
    }
    case 'minLength':
      return {
        code: 'SchemaViolation',
        at,
        part: 'value',
        message: params.limit === 1 ? `${field}: must not be empty` : `${field}: ${error.message ?? 'is too short'}`,
      };
    case 'uniqueItems':
      return {
        code: 'SchemaViolation',
        at,
        part: 'value',
        message: `${field}: must not contain duplicates (items ${String(params.j)} and ${String(params.i)} are equal)`,
      };
    case 'oneOf': {
      const branches = (error.schema as SchemaNode[] | undefined) ?? [];
      const names = branches.map((b) => (b.required?.length === 1 ? b.required[0] : undefined));
      const message = names.every((n) => n !== undefined)
        ? `${field}: set exactly one of ${names.join(', ')}`
        : `${field}: must match exactly one of the allowed forms`;
      return { code: 'SchemaViolation', at, part: 'value', message };
    }
    default:
      // minimum, maximum, maxLength, minItems, ...: ajv's own words are clear ("must be >= 1").
      return { code: 'SchemaViolation', at, part: 'value', message: `${field}: ${error.message ?? error.keyword}${got}` };
  }
}

/** A JSON pointer (`/spec/devices/1`) as path segments: indices into lists become numbers. */
function parsePointer(pointer: string, document: unknown): PathSegment[] {
  if (!pointer) return [];
  let value = document;
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
      const segment = Array.isArray(value) ? Number(key) : key;
      value = (value as Record<PathSegment, unknown> | undefined)?.[segment];
      return segment;
    });
}

function article(type: string): string {
  return type === 'object' || type === 'array' || type === 'integer' ? `an ${type}` : `a ${type}`;
}

function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}
