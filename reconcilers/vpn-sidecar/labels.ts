/**
 * The Docker labels homeostat puts on the containers it manages: who owns it, which role it plays, and hashes
 * of its declared configuration (one per field, and one over all of them) so that a changed spec, a changed
 * secret or a changed image reference is seen without comparing Docker's expanded view of the container.
 */

export const LABELS = {
  /** `VpnSidecar/<name>`: the resource that created the container. */
  owner: 'dev.homeostat.owner',
  /** Hash of the declared configuration; a different one means recreate. */
  specHash: 'dev.homeostat.spec-hash',
  /** `field=hash,...`, so that `diff` can say which field changed. */
  specFields: 'dev.homeostat.spec-fields',
  /** `gateway` or `dependent`. */
  role: 'dev.homeostat.role',
} as const;

export type Role = 'gateway' | 'dependent';

export function ownerOf(resourceName: string): string {
  return `VpnSidecar/${resourceName}`;
}

/** `image=ab12…,env=cd34…` (sorted by field), the value of the spec-fields label. */
export function formatFieldHashes(fields: Readonly<Record<string, string>>): string {
  return Object.keys(fields)
    .sort()
    .map((field) => `${field}=${fields[field]}`)
    .join(',');
}

/** The spec-fields label back into a map; `{}` for a missing or malformed label. */
export function parseFieldHashes(label: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!label) return fields;
  for (const part of label.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return fields;
}
