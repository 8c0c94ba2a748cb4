/**
 * Proxmox property strings, the values of keys such as `devN` (`/dev/dri/renderD128,gid=104,mode=0660`) and
 * `mpN` (`/data,mp=/data,backup=0`): comma-separated `key=value` pairs whose default key may be written
 * without its name, first. Formatting follows `PVE::JSONSchema::print_property_string`: the default key's value
 * first, then the other keys sorted.
 */

export type PropertyMap = Record<string, string>;

/**
 * `null` when the string is not a property string (an empty part, a key given twice, a second unnamed value).
 * Values cannot contain commas (Proxmox does not allow them in the keys homeostat reads).
 */
export function parsePropertyString(value: string, defaultKey: string): PropertyMap | null {
  const props: PropertyMap = {};
  for (const part of value.split(',')) {
    if (part === '') return null;
    const eq = part.indexOf('=');
    const key = eq === -1 ? defaultKey : part.slice(0, eq);
    const val = eq === -1 ? part : part.slice(eq + 1);
    if (key === '' || Object.prototype.hasOwnProperty.call(props, key)) return null;
    props[key] = val;
  }
  return props;
}

export function formatPropertyString(props: PropertyMap, defaultKey: string): string {
  const parts: string[] = [];
  if (props[defaultKey] !== undefined) parts.push(props[defaultKey]);
  for (const key of Object.keys(props).sort()) {
    if (key === defaultKey) continue;
    const val = props[key]!;
    if (val.includes(',') || key.includes(',') || key.includes('=')) {
      throw new Error(`a Proxmox property string cannot carry a comma: ${key}=${val}`);
    }
    parts.push(`${key}=${val}`);
  }
  if (parts.some((p) => p === '' || p.includes(','))) throw new Error(`a Proxmox property string cannot carry an empty value or a comma`);
  return parts.join(',');
}

/** `devN` / `mpN` / `netN` style keys: the prefix and the index, or `null`. */
export function indexedKey(key: string): { prefix: string; index: number } | null {
  const match = /^([a-z]+)(\d+)$/.exec(key);
  return match ? { prefix: match[1]!, index: Number(match[2]) } : null;
}

/** The lowest index `0..max-1` not in `used`, or `null` when all are taken. */
export function firstFreeIndex(used: Iterable<number>, max: number): number | null {
  const taken = new Set(used);
  for (let i = 0; i < max; i++) if (!taken.has(i)) return i;
  return null;
}
