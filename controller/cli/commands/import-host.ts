/**
 * `homeostat import host HOST`: the Host resource named HOST in --manifests (or the implicit `local`) is reached
 * through the same connection code as `apply` (HostPool), read, and described as manifests on stdout (YAML, a
 * comment per resource saying where it came from, the lines it cannot carry listed). Nothing is written on the
 * host; the resources become homeostat's only when the user applies them.
 */
import { silentLogger } from '../../../reconcilers/core/log.js';
import { errorMessage } from '../../../reconcilers/core/problem.js';
import type { Resource } from '../../../reconcilers/core/resource.js';
import { importHost, renderImport } from '../../import/index.js';
import { loadManifestDir } from '../../manifests/index.js';
import { HostPool, IMPLICIT_LOCAL, type HostSpecInput } from '../../runtime/hosts.js';
import { resolveCommon, type CommonOptions } from '../defaults.js';
import { fail } from '../exit.js';

export async function importHostCommand(hostName: string, o: Partial<CommonOptions>): Promise<void> {
  const common = resolveCommon(o);
  const loaded = await loadManifestDir(common.manifests);
  const hostResources = loaded.resources.filter((r) => r.kind === 'Host') as Resource<HostSpecInput>[];
  if (hostName !== IMPLICIT_LOCAL && !hostResources.some((r) => r.metadata.name === hostName)) {
    const problems = loaded.errors.length > 0 ? ` (${loaded.errors.length} manifest error(s): run \`homeostat validate\`)` : '';
    fail(`no Host "${hostName}" in ${common.manifests}${problems}`);
  }
  const hosts = new HostPool({ manifestsDir: common.manifests, stateDir: common.state, log: silentLogger });
  try {
    await hosts.update(hostResources.filter((r) => r.metadata.name === hostName));
    const result = await importHost(hosts.get(hostName)!);
    const header = [
      `homeostat import host ${hostName}: what the host already has, as manifests (nothing was written on the host).`,
      'Check with `homeostat diff` (expected: no changes); the lines become homeostat\'s only once applied.',
    ];
    process.stdout.write(renderImport(result, header));
  } catch (err) {
    fail(`import from host ${hostName}: ${errorMessage(err)}`);
  } finally {
    await hosts.closeAll();
  }
}
