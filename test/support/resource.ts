/**
 * A resource as the manifest loader hands it over, for tests that build one by hand instead of parsing a file:
 * empty labels and annotations, read from line 1 of `<name>.yaml`, generation `g1` unless told otherwise; and a
 * desired state made of such resources, keyed as the loader keys them.
 */
import { API_VERSION, keyOf, type Resource, type ResourceKey, type Revision } from '../../reconcilers/core/resource.js';

export interface TestResourceOptions {
  generation?: string;
  /** The manifest file it came from; `<name>.yaml` by default. */
  file?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function testResource<Spec>(kind: string, name: string, spec: Spec, opts: TestResourceOptions = {}): Resource<Spec> {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name, labels: opts.labels ?? {}, annotations: opts.annotations ?? {} },
    spec,
    source: { file: opts.file ?? `${name}.yaml`, line: 1, col: 1 },
    generation: opts.generation ?? 'g1',
  };
}

/** Resources by `kind/name`, in the order given. */
export function byKey(resources: readonly Resource[]): Map<ResourceKey, Resource> {
  return new Map(resources.map((r) => [keyOf(r), r]));
}

/** A desired state as `Controller.accept` takes it: these resources, read from a folder that is not a git work tree. */
export function testSnapshot(...resources: Resource[]): { resources: Map<ResourceKey, Resource>; revision: Revision } {
  return { resources: byKey(resources), revision: { commit: null, dirty: false } };
}
