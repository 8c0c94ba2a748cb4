/**
 * `loadManifestDir`: every manifest file under a directory, parsed and validated, with duplicate identities
 * resolved (each duplicate is an error naming both places, and none of them is loaded). For `validate`, `diff`,
 * `apply`: one read, no watching (ManifestSource does that, keeping last good documents).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resource } from '../../reconcilers/core/resource.js';
import { listManifestFiles } from './files.js';
import { resolveIdentities } from './identities.js';
import { compareManifestErrors, unreadableFile, type ManifestError } from './manifest-error.js';
import { parseManifestFile } from './parse.js';
import { defaultSchemas, type SchemaRegistry } from './schema.js';

export interface LoadedManifests {
  /** Valid, unique resources in file order (files sorted by path). */
  resources: Resource[];
  /** Sorted by file and position. */
  errors: ManifestError[];
  /** Every manifest file found, relative to the directory, sorted. */
  files: string[];
}

export async function loadManifestDir(dir: string, schemas: SchemaRegistry = defaultSchemas()): Promise<LoadedManifests> {
  const files = await listManifestFiles(dir);
  const parsed = await Promise.all(files.map((file) => readManifestFile(dir, file, schemas)));
  const { resources, errors } = resolveIdentities(parsed.flatMap((p) => p.resources));
  return {
    resources: [...resources.values()],
    errors: [...parsed.flatMap((p) => p.errors), ...errors].sort(compareManifestErrors),
    files,
  };
}

/** Reads and parses one file; a file that cannot be read is one error at 1:1. */
export async function readManifestFile(
  dir: string,
  file: string,
  schemas: SchemaRegistry,
): Promise<{ resources: Resource[]; errors: ManifestError[] }> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (err) {
    return { resources: [], errors: [unreadableFile(file, err)] };
  }
  return parseManifestFile(file, text, schemas);
}
