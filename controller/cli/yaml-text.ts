/** YAML text of a value, for `get -o yaml` and `describe`: its own module, so only they load the yaml package. */
import { stringify } from 'yaml';

export function yamlText(value: unknown): string {
  return stringify(value);
}
