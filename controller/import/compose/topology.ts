/**
 * Which services are VPN gateways and which share their network stack: a service with `network_mode: service:X`
 * or `container:X` (X a service name or a `container_name`) is a dependent of X; X is a gateway. A chain (A joins B,
 * B joins C) resolves to its end, as Docker does. Every other service stays outside (no homeostat kind carries it).
 */
import { ComposeImportError } from './errors.js';
import type { ComposeFile } from './compose-file.js';

export interface Sidecar {
  gateway: string;
  /** Service names, in file order. */
  dependents: string[];
}

export interface Topology {
  sidecars: Sidecar[];
  /** Services neither a gateway nor behind one. */
  outside: string[];
  /** Dependents that reached their gateway through another dependent: `service → via`. */
  chained: ReadonlyMap<string, string>;
}

const JOIN = /^(service|container):(.+)$/;

export function findTopology(compose: ComposeFile): Topology {
  const { file, services } = compose;
  const byContainerName = new Map<string, string>();
  for (const [name, service] of services) {
    if (typeof service.container_name === 'string') byContainerName.set(service.container_name, name);
  }
  /** The service whose network stack `name` joins directly, or undefined. */
  const joins = (name: string): string | undefined => {
    const mode = services.get(name)?.network_mode;
    if (mode === undefined) return undefined;
    const match = typeof mode === 'string' ? JOIN.exec(mode) : null;
    if (!match) return undefined;
    const [, how, target] = match as unknown as [string, string, string];
    const found = how === 'service' ? (services.has(target) ? target : undefined) : (byContainerName.get(target) ?? (services.has(target) ? target : undefined));
    if (found === undefined) {
      const known = how === 'service' ? [...services.keys()] : [...byContainerName.keys()];
      throw new ComposeImportError(
        'UnknownNetworkService',
        file,
        compose.where(['services', name, 'network_mode']),
        `services.${name}.network_mode: ${mode}: no ${how === 'service' ? 'service' : 'service or container_name'} "${target}" in this file` +
          (known.length > 0 ? ` (${how === 'service' ? 'services' : 'container names'}: ${known.join(', ')})` : ''),
      );
    }
    if (found === name) throw new ComposeImportError('UnknownNetworkService', file, compose.where(['services', name, 'network_mode']), `services.${name}.network_mode: ${mode} joins itself`);
    return found;
  };
  const rootOf = (name: string): string => {
    const seen = new Set<string>([name]);
    let at = name;
    for (let next = joins(at); next !== undefined; next = joins(at)) {
      if (seen.has(next)) throw new ComposeImportError('UnknownNetworkService', file, compose.where(['services', name, 'network_mode']), `services.${name}.network_mode: the network_mode chain loops back to ${next}`);
      seen.add(next);
      at = next;
    }
    return at;
  };

  const dependentsOf = new Map<string, string[]>();
  const chained = new Map<string, string>();
  for (const name of services.keys()) {
    const direct = joins(name);
    if (direct === undefined) continue;
    const root = rootOf(name);
    if (root !== direct) chained.set(name, direct);
    dependentsOf.set(root, [...(dependentsOf.get(root) ?? []), name]);
  }
  if (dependentsOf.size === 0) {
    throw new ComposeImportError(
      'NoGateway',
      file,
      compose.where(['services']),
      'no service uses `network_mode: service:NAME` or `container:NAME`, so there is no VPN gateway to import as a VpnSidecar',
    );
  }
  const sidecars = [...services.keys()].filter((name) => dependentsOf.has(name)).map((gateway) => ({ gateway, dependents: dependentsOf.get(gateway)! }));
  const inside = new Set(sidecars.flatMap((s) => [s.gateway, ...s.dependents]));
  return { sidecars, outside: [...services.keys()].filter((name) => !inside.has(name)), chained };
}
