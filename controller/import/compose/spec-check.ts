/**
 * What the VpnSidecar spec of this build accepts, asked of its CRD schema rather than assumed: whether the gateway
 * or a dependent has a field, and whether a value fits it (the kind's own validator, on a throwaway document). So
 * a field added to the CRD is carried as soon as the schema has it, and a value it rejects is listed, not emitted.
 */
import type { KindSchema, SchemaNode } from '../../manifests/schema.js';

export type Role = 'gateway' | 'dependent';

export interface SpecCheck {
  has(role: Role, field: string): boolean;
  /** Why the spec rejects `value` for `field`, or null when it accepts it. */
  problem(role: Role, field: string, value: unknown): string | null;
}

export function specCheckFor(kind: KindSchema): SpecCheck {
  const spec = kind.schema.properties?.spec?.properties ?? {};
  const fields: Record<Role, Record<string, SchemaNode>> = {
    gateway: spec.gateway?.properties ?? {},
    dependent: spec.dependents?.items?.properties ?? {},
  };
  return {
    has: (role, field) => Object.hasOwn(fields[role], field),
    problem(role, field, value) {
      if (!Object.hasOwn(fields[role], field)) return `the VpnSidecar ${role} has no ${field} field`;
      const container = { name: 'probe', image: 'busybox', [field]: structuredClone(value) };
      const document = {
        apiVersion: 'homeostat.dev/v1alpha1',
        kind: kind.kind,
        metadata: { name: 'probe' },
        spec: role === 'gateway' ? { gateway: container } : { gateway: { name: 'gateway', image: 'busybox' }, dependents: [container] },
      };
      if (kind.validate(document)) return null;
      const error = kind.validate.errors?.[0];
      const at = error?.instancePath.replace(/^\/spec\/(gateway|dependents\/0)\//, '').replaceAll('/', '.') ?? field;
      return `${at} ${error?.message ?? 'is not accepted'}`;
    },
  };
}
