/**
 * Parses one manifest file: every YAML document in it is validated against its kind's CRD (which fills in
 * defaults) and becomes a Resource with its source position and generation; every problem becomes a ManifestError
 * pointing at the offending node. Documents that are empty are skipped; a document with an error is left out.
 * A file past the limits on YAML nodes, nesting or documents (limits.ts) is one error and loads nothing; duplicate
 * keys are found in one pass per mapping (the YAML library's own check is quadratic: minutes for 100,000 keys).
 * Pure: the caller reads the file.
 */
import { Composer, isCollection, isMap, isScalar, isSeq, LineCounter, Parser, type Document, type Node } from 'yaml';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { keyOf, type ObjectMeta, type Resource } from '../../reconcilers/core/resource.js';
import { generationOf } from './generation.js';
import { resolveIdentities } from './identities.js';
import { manifestLimits, tooDeep, tooManyDocuments, tooManyNodes, type ManifestLimits } from './limits.js';
import type { ManifestError, ManifestErrorCode } from './manifest-error.js';
import { defaultSchemas, type SchemaRegistry } from './schema.js';
import { describeSchemaErrors } from './schema-errors.js';
import { budgetedTokens, type YamlBudgetProblem } from './yaml-budget.js';
import { positionOf, type LinePosition } from './yaml-position.js';

export { formatManifestError, type ManifestError, type ManifestErrorCode } from './manifest-error.js';

export interface ParsedManifestFile {
  /** The valid documents, in file order. */
  resources: Resource[];
  errors: ManifestError[];
  /** YAML documents in the file (empty ones too), for the directory's limit. */
  documents: number;
}

/** A document as the CRD schema guarantees it once validation passed. */
interface ValidDocument {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
}

/** `relFile`: the file's path relative to the manifests directory, as errors and `source.file` show it. */
export function parseManifestFile(
  relFile: string,
  text: string,
  schemas: SchemaRegistry = defaultSchemas(),
  limits: ManifestLimits = manifestLimits(),
): ParsedManifestFile {
  const lineCounter = new LineCounter();
  const resources: Resource[] = [];
  const errors: ManifestError[] = [];
  let documents = 0;
  // One lexing pass: the tokens are counted on their way to the parser, which never sees one past the limits.
  const counted = budgetedTokens(text, limits.maxNodesPerFile, limits.maxDepth);
  const parser = new Parser(lineCounter.addNewLine);
  function* syntaxTree() {
    lineCounter.addNewLine(0); // as Parser.parse does
    for (const token of counted.tokens) yield* parser.next(token);
    yield* parser.end();
  }
  const overBudget = (over: YamlBudgetProblem): ParsedManifestFile => ({
    resources: [],
    errors: [over.limit === 'nodes' ? tooManyNodes(relFile, over.at, limits) : tooDeep(relFile, over.at, limits)],
    documents: 0,
  });
  // logLevel 'error': the library's warnings (e.g. about collection keys) would go to stderr; they are errors here.
  const composer = new Composer({ uniqueKeys: false, logLevel: 'error' });
  for (const doc of composer.compose(syntaxTree())) {
    const over = counted.over();
    if (over) return overBudget(over); // the document was cut short at the limit: nothing of the file applies
    documents++;
    if (documents > limits.maxDocumentsPerFile) {
      const at = lineCounter.linePos(doc.range[0]);
      return { resources: [], errors: [tooManyDocuments(relFile, at, limits)], documents };
    }
    const ctx = { file: relFile, lineCounter, schemas, limits };
    let parsed: ReturnType<typeof parseDocument>;
    try {
      parsed = parseDocument(doc, ctx);
    } catch (err) {
      // A safety net: whatever a document does to the YAML library or the validator, it is an error in the file.
      const at = lineCounter.linePos(doc.range[0]);
      parsed = { errors: [{ code: 'YamlSyntax', file: relFile, ...at, message: `YAML: cannot be processed: ${errorMessage(err)}` }] };
    }
    if ('resource' in parsed) resources.push(parsed.resource);
    else errors.push(...parsed.errors);
  }
  const over = counted.over();
  if (over) return overBudget(over);
  // The same identity twice in one file: neither document applies.
  const unique = resolveIdentities(resources);
  return {
    resources: resources.filter((r) => unique.resources.get(keyOf(r)) === r),
    errors: [...errors, ...unique.errors].sort((a, b) => a.line - b.line || a.col - b.col),
    documents,
  };
}

const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
const NAME = /^[a-z0-9][-a-z0-9.]{0,252}$/;

interface DocumentContext {
  file: string;
  lineCounter: LineCounter;
  schemas: SchemaRegistry;
  limits: ManifestLimits;
}

function parseDocument(doc: Document, ctx: DocumentContext): { resource: Resource } | { errors: ManifestError[] } {
  const { file, lineCounter, schemas } = ctx;
  let ref: string | undefined;
  const error = (code: ManifestErrorCode, where: LinePosition, message: string): ManifestError => ({
    code,
    file,
    ...where,
    ...(ref ? { ref } : {}),
    message,
  });

  if (doc.errors.length > 0) {
    return { errors: doc.errors.map((e) => error('YamlSyntax', lineCounter.linePos(e.pos[0]), `YAML syntax error: ${e.message}`)) };
  }
  const structural = structureProblems(doc, ctx.limits.maxDepth);
  if (structural.length > 0) {
    return {
      errors: structural.map(({ problem, node }) => {
        const at = lineCounter.linePos(node.range?.[0] ?? 0);
        if (problem === 'duplicate') return error('YamlSyntax', at, 'YAML syntax error: Map keys must be unique');
        if (problem === 'complexKey') return error('YamlSyntax', at, 'YAML: a mapping key must be a plain value, not a list or a mapping');
        return tooDeep(file, at, ctx.limits);
      }),
    };
  }
  const contents = doc.contents;
  if (!contents || (isScalar(contents) && contents.value === null)) return { errors: [] };
  const start = lineCounter.linePos(contents.range?.[0] ?? 0);

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    return { errors: [error('YamlSyntax', start, `YAML: ${errorMessage(err)}`)] };
  }
  if (!isRecord(data)) {
    return { errors: [error('NotAMapping', start, 'a manifest document must be a mapping of apiVersion, kind, metadata and spec')] };
  }
  const name = isRecord(data.metadata) ? data.metadata.name : undefined;
  // Only a plausible identity is shown as `kind/name` (the error line must stay one unambiguous line).
  if (typeof data.kind === 'string' && KIND.test(data.kind) && typeof name === 'string' && NAME.test(name)) ref = `${data.kind}/${name}`;

  const kindSchema = typeof data.kind === 'string' ? schemas.get(data.kind) : undefined;
  if (!kindSchema) {
    const known = `known kinds: ${schemas.kinds.join(', ')}`;
    return data.kind === undefined
      ? { errors: [error('MissingField', start, `kind: required field missing (${known})`)] }
      : {
          errors: [
            error(
              'UnknownKind',
              positionOf(doc, lineCounter, ['kind'], 'value'),
              `kind: unknown kind ${JSON.stringify(data.kind)} (${known})`,
            ),
          ],
        };
  }

  if (!kindSchema.validate(data)) {
    const violations = describeSchemaErrors(kindSchema.validate.errors ?? [], data);
    return { errors: violations.map((v) => error(v.code, positionOf(doc, lineCounter, v.at, v.part), v.message)) };
  }
  const { apiVersion, kind, metadata, spec } = data as unknown as ValidDocument;
  const { labels, annotations } = metadata;
  return {
    resource: {
      apiVersion,
      kind,
      metadata: { name: metadata.name, labels, annotations },
      spec,
      source: { file, ...start },
      generation: generationOf(spec, annotations),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

type StructureProblem = 'duplicate' | 'complexKey' | 'depth';

/**
 * Keys written twice in a mapping (compared as the object keys they become), keys that are lists or mappings, and
 * collections nested past `maxDepth`, in one pass over the document without recursion. Aliases are not followed
 * (the alias count limit of `toJS` guards them).
 */
function structureProblems(doc: Document, maxDepth: number): Array<{ problem: StructureProblem; node: Node }> {
  const problems: Array<{ problem: StructureProblem; node: Node }> = [];
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > maxDepth) {
      problems.push({ problem: 'depth', node });
      break;
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const key = pair.key.value === null || pair.key.value === undefined ? '' : String(pair.key.value);
          if (seen.has(key)) problems.push({ problem: 'duplicate', node: pair.key });
          seen.add(key);
        } else if (isCollection(pair.key)) {
          problems.push({ problem: 'complexKey', node: pair.key });
        }
        stack.push({ node: pair.key, depth: depth + 1 }, { node: pair.value, depth: depth + 1 });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return problems.sort((a, b) => (a.node.range?.[0] ?? 0) - (b.node.range?.[0] ?? 0));
}
