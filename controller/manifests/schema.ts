/**
 * The CRDs in crds/*.yaml, as the build generated them (crds/generated/, by crds/generate-schemas.mjs): per kind
 * its names, its openAPIV3Schema and ajv's standalone validator, which checks a whole manifest document and fills
 * in defaults (`useDefaults`). Nothing is parsed or compiled at start-up. The CRDs are the single source of truth
 * for validation, `explain` and the generated spec types (crds/types.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { crdFiles } from '../../crds/generated/crds.js';
import { validators } from '../../crds/generated/validators.js';
import type { DurationBounds } from '../../reconcilers/core/duration.js';
import { API_VERSION } from '../../reconcilers/core/resource.js';

/** The part of an OpenAPI v3 schema node that the CRDs use. */
export interface SchemaNode {
  description?: string;
  title?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  required?: string[];
  items?: SchemaNode;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  uniqueItems?: boolean;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  /** A duration's bounds (reconcilers/core/duration.ts): `{ minimum: 1s, maximum: 24h }`. */
  [DURATION_KEYWORD]?: DurationBounds;
}

/**
 * The CRD keyword for a duration field's bounds (an `x-` extension, as Kubernetes' own `x-kubernetes-*`); its rule
 * is `durationOutOfBounds`, compiled in by crds/generate-schemas.mjs (which spells the keyword too; a test holds them equal).
 */
export const DURATION_KEYWORD = 'x-homeostat-duration';

/** One kind: what its CRD says, and a validator for whole documents of it. */
export interface KindSchema {
  kind: string;
  plural: string;
  singular: string;
  /** The CRD file's name, e.g. `storage-keepalive.yaml`. */
  file: string;
  /** The schema of a whole document (apiVersion, kind, metadata, spec). */
  schema: SchemaNode;
  /** Validates a document in place, filling in defaults; errors are left in `validate.errors`. */
  validate: ValidateFunction;
}

export type SchemaError = ErrorObject;

export class SchemaRegistry {
  private readonly byKind: ReadonlyMap<string, KindSchema>;

  private constructor(kinds: KindSchema[]) {
    this.byKind = new Map(kinds.map((k) => [k.kind, k]));
  }

  /**
   * The kinds of generated CRD files, each with its standalone validator (same order). Throws on a malformed CRD.
   * Default: crds/generated/, this build's CRDs.
   */
  static fromGenerated(
    files: ReadonlyArray<{ file: string; document: unknown }> = crdFiles,
    compiled: readonly ValidateFunction[] = validators,
  ): SchemaRegistry {
    if (files.length !== compiled.length) throw new Error(`crds/generated/ is inconsistent: ${files.length} CRDs, ${compiled.length} validators`);
    const kinds = files.map(({ file, document }, i): KindSchema => {
      const { names, versions } = checkCrd(file, document).spec;
      const schema = versions[0]!.schema.openAPIV3Schema;
      return { kind: names.kind, plural: names.plural, singular: names.singular, file, schema, validate: compiled[i]! };
    });
    return new SchemaRegistry(kinds);
  }

  /** Kind names, sorted. */
  get kinds(): string[] {
    return [...this.byKind.keys()].sort();
  }

  /** The kind with exactly this name (`kind:` in a manifest is case-sensitive). */
  get(kind: string): KindSchema | undefined {
    return this.byKind.get(kind);
  }

  /** The kind called this by its kind, singular or plural name, ignoring case (for the CLI). */
  lookup(name: string): KindSchema | undefined {
    const wanted = name.toLowerCase();
    for (const k of this.byKind.values()) {
      if ([k.kind.toLowerCase(), k.singular, k.plural].includes(wanted)) return k;
    }
    return undefined;
  }
}

interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  spec: {
    group: string;
    names: { kind: string; plural: string; singular: string };
    versions: Array<{ name: string; schema: { openAPIV3Schema: SchemaNode } }>;
  };
}

/** `document` (the CRD in crds/`file`) as a CustomResourceDefinition of ours, or an Error naming what is wrong. */
function checkCrd(file: string, document: unknown): CustomResourceDefinition {
  const crd = document as Partial<CustomResourceDefinition> | null;
  const fail: (problem: string) => never = (problem) => {
    throw new Error(`crds/${file}: ${problem}`);
  };
  const [group, version] = API_VERSION.split('/');
  if (crd?.apiVersion !== 'apiextensions.k8s.io/v1' || crd.kind !== 'CustomResourceDefinition' || !crd.spec) {
    fail('not an apiextensions.k8s.io/v1 CustomResourceDefinition');
  }
  const { spec } = crd;
  if (spec.group !== group) fail(`spec.group must be ${group}`);
  if (!spec.names?.kind || !spec.names.plural || !spec.names.singular) fail('spec.names needs kind, plural and singular');
  if (spec.versions?.length !== 1 || spec.versions[0]?.name !== version) fail(`spec.versions must be exactly [${version}]`);
  if (!spec.versions[0]?.schema?.openAPIV3Schema) fail('spec.versions[0].schema.openAPIV3Schema is missing');
  return crd as CustomResourceDefinition;
}

/**
 * The `crds/` folder of this checkout or package: the first folder above this file that holds both `crds/` and
 * `package.json` (this file runs from the sources under vitest, and from dist/ once compiled).
 */
export function findCrdDir(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'crds'))) return join(dir, 'crds');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no crds/ folder next to a package.json above ${fileURLToPath(from)}`);
    dir = parent;
  }
}

let defaultRegistry: SchemaRegistry | undefined;

/** The registry of this build's CRDs, made on first use. */
export function defaultSchemas(): SchemaRegistry {
  defaultRegistry ??= SchemaRegistry.fromGenerated();
  return defaultRegistry;
}
