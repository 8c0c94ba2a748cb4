/**
 * A compose file as the importer reads it: the YAML parsed once (merge keys `<<:` resolved, as compose does), its
 * services as plain values, and the line and column of any key, so that every error and every comment can say
 * `FILE:LINE:COL services.NAME.KEY`. Checks only the shape the importer relies on (a `services` mapping of mappings).
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ComposeImportError } from './errors.js';

/** One service's keys, as written (after merge keys). */
export type ComposeService = Readonly<Record<string, unknown>>;

export interface ComposeFile {
  /** The path the user gave, used in messages. */
  file: string;
  /** Services by name, in file order. */
  services: ReadonlyMap<string, ComposeService>;
  /** The whole document, as written (top-level keys). */
  root: Readonly<Record<string, unknown>>;
  /** Top-level `secrets:` (name → definition), as written. */
  secrets: Readonly<Record<string, unknown>>;
  /** `LINE:COL` of the node at `path` (keys then indexes), or of its closest ancestor that exists. */
  where(path: ReadonlyArray<string | number>): string;
}

/** Parses `text` (the content of `file`); throws ComposeImportError when it is not a compose project. */
export function readComposeFile(file: string, text: string): ComposeFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = (path: ReadonlyArray<string | number>) => position(doc, lineCounter, path);
  const yamlError = doc.errors[0];
  if (yamlError) {
    const at = lineCounter.linePos(yamlError.pos[0]);
    throw new ComposeImportError('NotYaml', file, `${at.line}:${at.col}`, `not valid YAML: ${yamlError.message.split('\n')[0]}`);
  }
  const root: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (!isRecord(root)) throw new ComposeImportError('NotCompose', file, '1:1', 'not a compose file: the document is not a mapping');
  if (!('services' in root)) throw new ComposeImportError('NotCompose', file, '1:1', 'not a compose file: no top-level `services:`');
  if (!isRecord(root.services)) throw new ComposeImportError('NotCompose', file, where(['services']), '`services` must be a mapping of service names');
  const services = new Map<string, ComposeService>();
  for (const [name, service] of Object.entries(root.services)) {
    if (!isRecord(service)) throw new ComposeImportError('NotCompose', file, where(['services', name]), `services.${name} must be a mapping`);
    services.set(name, service);
  }
  if (services.size === 0) throw new ComposeImportError('NotCompose', file, where(['services']), '`services` is empty');
  const secrets = root.secrets === undefined ? {} : root.secrets;
  if (!isRecord(secrets)) throw new ComposeImportError('NotCompose', file, where(['secrets']), '`secrets` must be a mapping');
  return { file, root, services, secrets, where };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function position(doc: Document, lines: LineCounter, path: ReadonlyArray<string | number>): string {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray(node.items) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const at = lines.linePos(offset);
  return `${at.line}:${at.col}`;
}
