/**
 * Resources narrowed by kind to their generated spec types: `if (isKind(r, 'StorageKeepalive')) r.spec.interval`.
 */
import type { KindName, SpecsByKind } from '../../crds/types.js';
import type { Resource } from '../../reconcilers/core/resource.js';

export type KindResource<K extends KindName> = Resource<SpecsByKind[K]> & { kind: K };

export function isKind<K extends KindName>(resource: Resource, kind: K): resource is KindResource<K> {
  return resource.kind === kind;
}
