/**
 * `loadManifestDir`: every manifest file under a directory, parsed and validated, with duplicate identities
 * resolved (each duplicate is an error naming both places, and none of them is loaded). For `validate`, `diff`,
 * `apply`: one read, no watching (ManifestSource does that, keeping last good documents). Within the limits of
 * limits.ts: a file over them is an error naming it; a directory over them (files, bytes, documents) is one error
 * and loads nothing.
 */
import { mapLimited } from '../../reconcilers/core/map-limited.js';
import { join } from 'node:path';
import type { Resource } from '../../reconcilers/core/resource.js';
import { listManifestFiles } from './files.js';
import { resolveIdentities } from './identities.js';
import { directoryOverLimits, manifestLimits, tooManyDocumentsOverall, type ManifestLimits } from './limits.js';
import { compareManifestErrors, unreadableFile, type ManifestError } from './manifest-error.js';
import { parseManifestFile } from './parse.js';
import { parseContext, type ParseCache } from './parse-cache.js';
import { MANIFEST_READ_CONCURRENCY, readManifestText, ReadBudget, statSizes } from './read-bounded.js';
import { defaultSchemas, type SchemaRegistry } from './schema.js';

export interface LoadedManifests {
  /** Valid, unique resources in file order (files sorted by path). */
  resources: Resource[];
  /** Sorted by file and position. */
  errors: ManifestError[];
  /** Every manifest file found, relative to the directory, sorted. */
  files: string[];
}

export async function loadManifestDir(
  dir: string,
  schemas: SchemaRegistry = defaultSchemas(),
  limits: ManifestLimits = manifestLimits(),
  cache?: ParseCache,
): Promise<LoadedManifests> {
  const files = await listManifestFiles(dir);
  const refused = (error: ManifestError): LoadedManifests => ({ resources: [], errors: [error], files });
  const tooMuch = directoryOverLimits(await statSizes(dir, files), limits);
  if (tooMuch) return refused(tooMuch);

  const budget = new ReadBudget(limits.maxTotalBytes);
  const parsed = await mapLimited(files, MANIFEST_READ_CONCURRENCY, (file) => readManifestFile(dir, file, schemas, limits, budget, cache));
  cache?.save();
  const overBudget = parsed.find((p) => p.overBudget);
  if (overBudget) return refused(overBudget.errors[0]!);
  let documents = 0;
  for (const [i, p] of parsed.entries()) {
    documents += p.documents;
    if (documents > limits.maxDocuments) return refused(tooManyDocumentsOverall(files[i]!, documents, limits));
  }

  const { resources, errors } = resolveIdentities(parsed.flatMap((p) => p.resources));
  return {
    resources: [...resources.values()],
    errors: [...parsed.flatMap((p) => p.errors), ...errors].sort(compareManifestErrors),
    files,
  };
}

export interface ReadManifestFile {
  resources: Resource[];
  errors: ManifestError[];
  documents: number;
  /** The reads of this reload went past the directory's byte limit: refuse the reload. */
  overBudget?: true;
}

/** Reads (bounded) and parses one file; a file that cannot be read is one error at 1:1. */
export async function readManifestFile(
  dir: string,
  file: string,
  schemas: SchemaRegistry,
  limits: ManifestLimits,
  budget: ReadBudget,
  cache?: ParseCache,
): Promise<ReadManifestFile> {
  try {
    const read = await readManifestText(join(dir, file), file, limits, budget);
    if ('error' in read) return { resources: [], errors: [read.error], documents: 0, ...(read.overBudget ? { overBudget: true } : {}) };
    const parse = () => parseManifestFile(file, read.text, schemas, limits);
    return cache ? cache.parsed(file, read.text, parseContext(limits), parse) : parse();
  } catch (err) {
    return { resources: [], errors: [unreadableFile(file, err)], documents: 0 };
  }
}
