/** `homeostat get` and `homeostat describe`: what the state store says (opened read-only), never the hosts. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseKey } from '../../../reconcilers/core/resource.js';
import { StateStore } from '../../state/store.js';
import { describeResource, listResourceViews } from '../../status/views.js';
import { resolveCommon, type CommonOptions } from '../defaults.js';
import { fail } from '../exit.js';
import { renderDescribe, renderGet } from '../output.js';

function openStore(common: CommonOptions): StateStore | null {
  return existsSync(join(common.state, 'state.db')) ? new StateStore(common.state, { readonly: true }) : null;
}

export async function get(what: string | undefined, o: Partial<CommonOptions> & { output: string }): Promise<void> {
  const store = openStore(resolveCommon(o));
  let views = store ? listResourceViews(store) : [];
  store?.close();
  if (what) {
    const [kind, name] = what.split('/');
    views = views.filter((v) => v.kind.toLowerCase() === kind!.toLowerCase() && (!name || v.name === name));
  }
  process.stdout.write((await renderGet(views, o.output)) + '\n');
}

export async function describe(key: string, o: Partial<CommonOptions>): Promise<void> {
  const { kind, name } = parseKey(key);
  const store = openStore(resolveCommon(o));
  const detail = store ? describeResource(store, kind, name) : null;
  store?.close();
  if (!detail) fail(`no resource ${key} in the state store`);
  process.stdout.write((await renderDescribe(detail)) + '\n');
}
