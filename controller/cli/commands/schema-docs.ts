/** `homeostat explain` and `homeostat schema`: the CRDs' documentation and JSON Schemas, from the generated CRDs. */
import { errorMessage } from '../../../reconcilers/core/problem.js';
import { explain as explainPath } from '../../manifests/explain.js';
import { documentJsonSchema, kindJsonSchema } from '../../manifests/json-schema.js';
import { fail } from '../exit.js';

export function explain(path: string): void {
  try {
    process.stdout.write(explainPath(path).trimEnd() + '\n');
  } catch (err) {
    fail(errorMessage(err));
  }
}

export function schema(kind: string | undefined): void {
  try {
    process.stdout.write(JSON.stringify(kind ? kindJsonSchema(kind) : documentJsonSchema(), null, 2) + '\n');
  } catch (err) {
    fail(errorMessage(err));
  }
}
