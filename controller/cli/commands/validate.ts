/** `homeostat validate`: parse and schema-check the manifests, one `FILE:LINE:COL kind/name: message` line per error. */
import { loadManifestDir } from '../../manifests/load.js';
import { resolveCommon } from '../defaults.js';
import { printManifestErrors } from '../output.js';

export async function validate(o: { manifests: string }): Promise<void> {
  const { resources, errors } = await loadManifestDir(resolveCommon(o).manifests);
  printManifestErrors(errors, process.stdout);
  if (errors.length > 0) process.exit(1);
  process.stdout.write(`${resources.length} resource(s) valid\n`);
}
