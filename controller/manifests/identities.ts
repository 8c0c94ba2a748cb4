/**
 * One identity (`kind/name`), one document. When several documents claim the same identity, the one already in
 * force (if any) keeps it and every other claimant is an error naming where the identity is defined; when none of
 * them was in force, none applies and each is an error naming the others.
 */
import { keyOf, type Resource, type ResourceKey, type SourceLocation } from '../../reconcilers/core/resource.js';
import type { ManifestError } from './manifest-error.js';

export interface ResolvedIdentities {
  /** In the order of the claims. */
  resources: Map<ResourceKey, Resource>;
  errors: ManifestError[];
}

/**
 * @param claims resources in file order (each `source.file` set)
 * @param inForceFrom for each identity in force, the file it is in force from
 */
export function resolveIdentities(
  claims: readonly Resource[],
  inForceFrom: ReadonlyMap<ResourceKey, string> = new Map(),
): ResolvedIdentities {
  const byKey = new Map<ResourceKey, Resource[]>();
  for (const resource of claims) {
    const key = keyOf(resource);
    byKey.set(key, [...(byKey.get(key) ?? []), resource]);
  }
  const resources = new Map<ResourceKey, Resource>();
  const errors: ManifestError[] = [];
  for (const [key, claimants] of byKey) {
    if (claimants.length === 1) {
      resources.set(key, claimants[0]!);
      continue;
    }
    const incumbentFile = inForceFrom.get(key);
    const incumbents = claimants.filter((r) => r.source.file === incumbentFile);
    const incumbent = incumbents.length === 1 ? incumbents[0] : undefined;
    if (incumbent) resources.set(key, incumbent);
    for (const claimant of claimants) {
      if (claimant === incumbent) continue;
      const message = incumbent
        ? `duplicate: already defined at ${at(incumbent.source)}, which stays in force; this one is ignored`
        : `duplicate: also defined at ${claimants
            .filter((other) => other !== claimant)
            .map((other) => at(other.source))
            .join(' and ')}; ${claimants.length === 2 ? 'neither' : 'none'} applies`;
      errors.push({ code: 'DuplicateIdentity', ...claimant.source, ref: key, message });
    }
  }
  return { resources, errors };
}

function at(source: SourceLocation): string {
  return `${source.file}:${source.line}:${source.col}`;
}
