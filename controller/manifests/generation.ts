/**
 * A resource's generation: a short hash of its normalized spec (after defaults, keys sorted) and of the
 * `homeostat.dev/*` annotations, the ones that change behaviour. Reordering keys, quoting style, comments or
 * spelling out a default leave it unchanged; any change of a value changes it.
 */
import { createHash } from 'node:crypto';

const BEHAVIOUR_ANNOTATION_PREFIX = 'homeostat.dev/';

export function generationOf(spec: unknown, annotations: Readonly<Record<string, string>>): string {
  const behaviour = Object.fromEntries(
    Object.entries(annotations).filter(([key]) => key.startsWith(BEHAVIOUR_ANNOTATION_PREFIX)),
  );
  return createHash('sha256')
    .update(canonicalJson({ spec, annotations: behaviour }))
    .digest('hex')
    .slice(0, 12);
}

/** JSON with object keys sorted at every level (arrays keep their order); `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
