/**
 * `homeostat explain KIND[.field.path]`: the CRD schema's documentation of a kind or one of its fields, in the
 * spirit of `kubectl explain` (description, type, default, allowed values, and the child fields). Lists are walked
 * through transparently (`LxcDevice.spec.devices.preset`), and so are maps (`VpnSidecar.spec.gateway.env.ANY`).
 */
import { defaultSchemas, DURATION_KEYWORD, type KindSchema, type SchemaNode, type SchemaRegistry } from './schema.js';
import { API_VERSION } from '../../reconcilers/core/resource.js';

const WIDTH = 100;

/** Throws an Error naming the valid kinds or fields when the kind or a field does not exist. */
export function explain(kindAndPath: string, schemas: SchemaRegistry = defaultSchemas()): string {
  const [kindName = '', ...fieldPath] = kindAndPath.trim().split('.');
  const kind = schemas.lookup(kindName);
  if (!kind) throw new Error(`unknown kind "${kindName}": the kinds are ${schemas.kinds.join(', ')}`);

  let node = kind.schema;
  const walked: string[] = [];
  for (const field of fieldPath) {
    const container = unwrap(node);
    const child = container.properties?.[field] ?? mapValues(container);
    if (!child) {
      const where = walked.length > 0 ? `${kind.kind}.${walked.join('.')}` : kind.kind;
      const fields = Object.keys(container.properties ?? {});
      throw new Error(
        fields.length > 0
          ? `${where} has no field "${field}": its fields are ${fields.join(', ')}`
          : `${where} is <${typeLabel(node)}>: it has no fields`,
      );
    }
    walked.push(field);
    node = child;
  }
  return render(kind, walked, node);
}

function render(kind: KindSchema, path: string[], node: SchemaNode): string {
  const blocks = [[`KIND:     ${kind.kind}`, `VERSION:  ${API_VERSION}`]];
  if (path.length > 0) blocks.push([`FIELD:    ${path.join('.')} <${typeLabel(node)}>`]);
  blocks.push(['DESCRIPTION:', ...wrap(describe(node), '    ')]);
  const rows = facts(node);
  if (rows.length > 0) blocks.push(rows.map(([label, value]) => `${`${label}:`.padEnd(10)}${value}`));
  const container = unwrap(node);
  const required = new Set(container.required ?? []);
  const children = Object.entries(container.properties ?? {}).map(([name, child]) => {
    const notes = [
      required.has(name) ? '-required-' : '',
      child.default !== undefined ? `(default: ${show(child.default)})` : '',
    ].filter(Boolean);
    return [`  ${[name, `<${typeLabel(child)}>`, ...notes].join(' ')}`, ...wrap(describe(child), '    ')].join('\n');
  });
  if (children.length > 0) blocks.push(['FIELDS:', children.join('\n\n')]);
  return blocks.map((block) => block.join('\n')).join('\n\n') + '\n';
}

/** Default, allowed values and constraints (of a list's items, for a list), as label/value rows. */
function facts(node: SchemaNode): Array<[string, string]> {
  const value = unwrap(node);
  const rows: Array<[string, string]> = [];
  if (node.default !== undefined) rows.push(['DEFAULT', show(node.default)]);
  if (value.enum) rows.push(['ENUM', value.enum.map(show).join(' | ')]);
  if (value.pattern) rows.push(['PATTERN', value.pattern]);
  if (value.minimum !== undefined || value.maximum !== undefined) {
    rows.push(['RANGE', `${value.minimum ?? '-inf'} .. ${value.maximum ?? 'inf'}`]);
  }
  const duration = value[DURATION_KEYWORD];
  if (duration) rows.push(['RANGE', `${duration.minimum ?? '0ms'} .. ${duration.maximum ?? 'inf'}`]);
  if (value.maxLength !== undefined) rows.push(['MAX LEN', `${value.maxLength} characters`]);
  if (value.oneOf?.every((branch) => branch.required?.length === 1)) {
    rows.push(['ONE OF', value.oneOf.map((branch) => branch.required![0]).join(' | ')]);
  }
  return rows;
}

function describe(node: SchemaNode): string {
  return (node.description ?? unwrap(node).description ?? '(no description)').trim();
}

/** `string`, `integer`, `Object`, `[]Object`, `map[string]string`, ... */
function typeLabel(node: SchemaNode): string {
  if (node.type === 'array') return `[]${typeLabel(node.items ?? {})}`;
  if (node.type === 'object') {
    const values = mapValues(node);
    if (values && !node.properties) return `map[string]${typeLabel(values)}`;
    return node.title ?? 'Object';
  }
  return node.type ?? 'any';
}

/** What a path walks into and constraints apply to: a list's items, or the node itself. */
function unwrap(node: SchemaNode): SchemaNode {
  return node.type === 'array' && node.items ? unwrap(node.items) : node;
}

function mapValues(node: SchemaNode): SchemaNode | undefined {
  return typeof node.additionalProperties === 'object' && !node.properties ? node.additionalProperties : undefined;
}

function show(value: unknown): string {
  return typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value);
}

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}
