/**
 * The CRDs in crds/*.yaml, loaded once: per kind its names, its openAPIV3Schema and an ajv validator that checks a
 * whole manifest document and fills in defaults (`useDefaults`). The CRDs are the single source of truth for
 * validation, `explain` and the generated spec types (crds/types.ts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { durationOutOfBounds, type DurationBounds } from '../../reconcilers/core/duration.js';
import { API_VERSION } from '../../reconcilers/core/resource.js';

// ajv is CommonJS: under NodeNext its default export arrives as the module object.
const Ajv = AjvModule.default;

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

/** The CRD keyword for a duration field's bounds (an `x-` extension, as Kubernetes' own `x-kubernetes-*`). */
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

  /** Reads every CRD in `crdDir` and compiles its validator. Throws on a malformed CRD. */
  static load(crdDir: string): SchemaRegistry {
    const ajv = new Ajv({ useDefaults: true, allErrors: true, verbose: true, strict: false });
    ajv.addKeyword({ keyword: DURATION_KEYWORD, type: 'string', schemaType: 'object', errors: true, validate: checkDuration });
    const kinds = readdirSync(crdDir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((file): KindSchema => {
        const crd = readCrd(join(crdDir, file));
        const { names, versions } = crd.spec;
        const schema = versions[0]!.schema.openAPIV3Schema;
        let validate: ValidateFunction;
        try {
          validate = ajv.compile(schema);
        } catch (err) {
          throw new Error(`crds/${file}: the schema does not compile: ${errorMessage(err)}`, { cause: err });
        }
        return { kind: names.kind, plural: names.plural, singular: names.singular, file, schema, validate };
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

/** The duration keyword's check: one rule, durationOutOfBounds; its words become the error's message. */
function checkDuration(this: unknown, bounds: DurationBounds, data: string): boolean {
  const problem = durationOutOfBounds(data, bounds);
  checkDuration.errors = problem === null ? [] : [{ keyword: DURATION_KEYWORD, message: problem, params: { ...bounds } }];
  return problem === null;
}
checkDuration.errors = [] as Array<Partial<ErrorObject>>;

interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  spec: {
    group: string;
    names: { kind: string; plural: string; singular: string };
    versions: Array<{ name: string; schema: { openAPIV3Schema: SchemaNode } }>;
  };
}

function readCrd(path: string): CustomResourceDefinition {
  const crd = parse(readFileSync(path, 'utf8')) as Partial<CustomResourceDefinition> | null;
  const fail: (problem: string) => never = (problem) => {
    throw new Error(`${path}: ${problem}`);
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

/** The registry of this checkout's CRDs, loaded on first use. */
export function defaultSchemas(): SchemaRegistry {
  defaultRegistry ??= SchemaRegistry.load(findCrdDir());
  return defaultRegistry;
}
