/**
 * Finds where in a YAML document a field path is written, so that an error points at the field itself
 * (its value, or its key for an unknown field, or the key of its parent for a missing one).
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './schema-errors.js';

export interface LinePosition {
  line: number;
  col: number;
}

interface Located {
  /** The value node at the path, or at the deepest part of it that exists. */
  value: Node | null;
  /** The key node the value sits under (undefined for list items and the document itself). */
  key: Node | undefined;
}

/** Where `part` of the node at `path` starts; falls back to the closest enclosing node that has a position. */
export function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  part: 'value' | 'key' | 'owner',
): LinePosition {
  const { value, key } = locate(doc, path);
  const hasPosition = (node: Node | null | undefined): node is Node => !!node?.range && !isEmptyScalar(node);
  const candidates = part === 'value' ? [value, key] : [key, value];
  const node = candidates.find(hasPosition) ?? (hasPosition(doc.contents) ? doc.contents : undefined);
  return lineCounter.linePos(node?.range?.[0] ?? 0);
}

function locate(doc: Document, path: readonly PathSegment[]): Located {
  let value = resolveAlias(doc, doc.contents);
  let key: Node | undefined;
  for (const segment of path) {
    if (isMap(value)) {
      const pair = value.items.find((p) => keyText(p.key) === String(segment));
      if (!pair) break;
      key = pair.key as Node;
      value = resolveAlias(doc, (pair.value as Node | null) ?? null);
    } else if (isSeq(value) && typeof segment === 'number' && segment < value.items.length) {
      key = undefined;
      value = resolveAlias(doc, value.items[segment] as Node);
    } else {
      break;
    }
  }
  return { value, key };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function resolveAlias(doc: Document, node: Node | null): Node | null {
  return isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? node) : node;
}

/** `key:` with nothing after it: a null scalar whose position is after the colon, not worth pointing at. */
function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.range![0] === node.range![1];
}
