/**
 * Manifests: the desired state as YAML files, validated against the CRDs in crds/.
 * `loadManifestDir` reads a directory once (validate, diff, apply); `ManifestSource` watches it and publishes
 * consistent snapshots (run); `explain` documents the schema; errors print as `FILE:LINE:COL kind/name: message`.
 */
export { explain } from './explain.js';
export { documentJsonSchema, kindJsonSchema } from './json-schema.js';
export { generationOf } from './generation.js';
export { DEFAULT_MANIFEST_LIMITS, formatBytes, manifestLimits, type ManifestLimits } from './limits.js';
export { loadManifestDir, type LoadedManifests } from './load.js';
export { openParseCache, bundledParserId, type ParseCache } from './parse-cache.js';
export { compareManifestErrors, formatManifestError, unreadableFile, type ManifestError, type ManifestErrorCode } from './manifest-error.js';
export { parseManifestFile, type ParsedManifestFile } from './parse.js';
export { readRevision } from './revision.js';
export { defaultSchemas, findCrdDir, SchemaRegistry, type KindSchema, type SchemaNode } from './schema.js';
export { ManifestSource, type ManifestSnapshot, type ManifestSourceOptions } from './source.js';
export { isKind, type KindResource } from './typed.js';
export type * from '../../crds/types.js';
