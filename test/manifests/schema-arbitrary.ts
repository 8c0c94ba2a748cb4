/**
 * fast-check documents shaped by a CRD schema: what the schema asks for (its enums, defaults, patterns, bounds,
 * required fields) and, in half of the documents, now and then a wrong type, a missing required field, an unknown
 * field, a value past a bound or a duplicate, so that both valid documents and every sort of error are generated.
 */
import fc from 'fast-check';
import type { SchemaNode } from '../../controller/manifests/index.js';

/** Weight of a deliberately wrong value against 20 for a right one, in a noisy document (0 in a clean one). */
type Noise = 0 | 1;

const anyWrongValue = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));

export function documentOf(schema: SchemaNode): fc.Arbitrary<unknown> {
  return fc.oneof(valueOf(schema, 0), valueOf(schema, 1));
}

function valueOf(node: SchemaNode, noise: Noise): fc.Arbitrary<unknown> {
  const right = rightValueOf(node, noise);
  return noise === 0 ? right : fc.oneof({ arbitrary: right, weight: 20 }, { arbitrary: anyWrongValue, weight: noise });
}

function rightValueOf(node: SchemaNode, noise: Noise): fc.Arbitrary<unknown> {
  if (node.enum) return fc.constantFrom(...node.enum);
  switch (node.type) {
    case 'object':
      return node.properties ? objectOf(node, noise) : mapOf(node, noise);
    case 'array':
      return arrayOf(node, noise);
    case 'string':
      return stringOf(node, noise);
    case 'integer':
    case 'number':
      return fc.integer({ min: (node.minimum ?? -5) - 2, max: Math.min(node.maximum ?? 100_000, 2 ** 31) + 2 });
    case 'boolean':
      return fc.boolean();
    default:
      return anyWrongValue;
  }
}

function objectOf(node: SchemaNode, noise: Noise): fc.Arbitrary<unknown> {
  const required = new Set(node.required ?? []);
  const entries = Object.entries(node.properties ?? {});
  const fields = entries.map(([name, child]) =>
    fc.oneof(
      { arbitrary: valueOf(child, noise).map((value) => [name, value] as const), weight: required.has(name) ? 20 : 8 },
      { arbitrary: fc.constant(null), weight: required.has(name) ? noise : 8 }, // left out
    ),
  );
  const unknown = fc.oneof({ arbitrary: fc.constant(null), weight: 20 }, { arbitrary: fc.tuple(fc.constantFrom('bogus', 'Spec', '__proto__x'), anyWrongValue), weight: noise });
  return fc.tuple(fc.tuple(...fields), unknown).map(([present, extra]) => {
    const out: Record<string, unknown> = {};
    for (const field of present) if (field) out[field[0]] = field[1];
    if (extra) out[extra[0]] = extra[1];
    return out;
  });
}

function mapOf(node: SchemaNode, noise: Noise): fc.Arbitrary<unknown> {
  const values = typeof node.additionalProperties === 'object' ? valueOf(node.additionalProperties, noise) : anyWrongValue;
  return fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.\/-]{0,12}$/), values, { maxKeys: 3 });
}

function arrayOf(node: SchemaNode, noise: Noise): fc.Arbitrary<unknown> {
  const items = fc.array(node.items ? valueOf(node.items, noise) : anyWrongValue, { minLength: 0, maxLength: 4 });
  if (noise === 0) return items;
  // A duplicate now and then, for uniqueItems.
  return fc.tuple(items, fc.nat(9)).map(([list, roll]) => (roll === 0 && list.length > 0 ? [...list, structuredClone(list[0])] : list));
}

function stringOf(node: SchemaNode, noise: Noise): fc.Arbitrary<unknown> {
  const free = !node.pattern && !node['x-homeostat-duration'];
  const options: Array<fc.WeightedArbitrary<unknown>> = [{ arbitrary: fc.string({ maxLength: 8 }), weight: free ? 8 : 2 * noise }];
  if (node.default !== undefined) options.push({ arbitrary: fc.constant(node.default), weight: 4 });
  if (node['x-homeostat-duration']) {
    const units = fc.constantFrom('ms', 's', 'm', 'h');
    options.push({ arbitrary: fc.tuple(fc.nat(noise ? 100_000 : 24), units).map(([n, unit]) => `${n}${unit}`), weight: 12 });
  } else if (node.pattern) {
    options.push({ arbitrary: matching(node.pattern), weight: 12 });
  }
  if (node.maxLength !== undefined && noise) options.push({ arbitrary: fc.constant('a'.repeat(node.maxLength + 1)), weight: noise });
  return fc.oneof(...options);
}

/** Strings matching `pattern` (fast-check reads the regexp); any string when it cannot. */
function matching(pattern: string): fc.Arbitrary<unknown> {
  try {
    return fc.stringMatching(new RegExp(pattern, 'u'), { size: 'small' });
  } catch {
    return fc.string({ maxLength: 12 });
  }
}
