/**
 * `homeostat import compose FILE`: prints the VpnSidecar manifests a compose project describes (YAML with comments
 * on what was not carried) on stdout. Reads the compose file and the names (never the values) of its env files;
 * the conversion itself is controller/import/compose/. Exit 0 printed, 1 the file cannot be imported.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defaultSchemas } from '../../manifests/schema.js';
import { ComposeImportError, convertCompose, readEnvFileNames, renderComposeImport, specCheckFor } from '../../import/compose/index.js';
import { fail } from '../exit.js';

export interface ImportComposeOptions {
  host?: string;
  secretsDir?: string;
}

/** A compose file larger than this is not one a person wrote. */
const MAX_COMPOSE_BYTES = 4 * 1024 * 1024;

export async function importCompose(file: string, o: ImportComposeOptions): Promise<void> {
  const path = resolve(file);
  let text: string;
  try {
    if ((await stat(path)).size > MAX_COMPOSE_BYTES) fail(`${file}: larger than ${MAX_COMPOSE_BYTES / 1024 / 1024} MiB; not a compose file`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    fail(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (o.secretsDir !== undefined && !o.secretsDir.startsWith('/')) fail(`--secrets-dir ${o.secretsDir}: must be an absolute path`);
  const kind = defaultSchemas().get('VpnSidecar');
  if (!kind) fail('this build has no VpnSidecar kind');
  try {
    const result = convertCompose({
      file,
      text,
      composeDir: dirname(path),
      check: specCheckFor(kind),
      ...(o.host === undefined ? {} : { host: o.host }),
      ...(o.secretsDir === undefined ? {} : { secretsDir: o.secretsDir }),
      readEnvNames: readEnvFileNames,
    });
    process.stdout.write(renderComposeImport(result, file));
  } catch (error) {
    if (error instanceof ComposeImportError) fail(error.message);
    throw error;
  }
}
