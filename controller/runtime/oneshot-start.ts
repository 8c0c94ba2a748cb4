/**
 * The first half of a one-shot command (`diff`, `apply`), light enough to run before the runtime is loaded: read
 * the manifests (through the parse cache) and start connecting to their Hosts. The SSH handshake and the remote
 * helper's start (~100 ms on loopback, more over a network) then go on while the controller, the reconcilers
 * and xstate are loaded and compiled, instead of after them. oneshot.ts takes what this returns (`OneShotStart`);
 * the CLI loads it first and the runtime after (controller/cli/commands/oneshot.ts).
 */
import type { Logger } from 'pino';
import { keyOf, type Resource, type ResourceKey, type Revision } from '../../reconcilers/core/resource.js';
// From their own files, not the manifests' index: that would bring the watcher (chokidar) along.
import { loadManifestDir } from '../manifests/load.js';
import type { ManifestError } from '../manifests/manifest-error.js';
import { openParseCache } from '../manifests/parse-cache.js';
import { readRevision } from '../manifests/revision.js';
import { HostPool, type HostSpecInput } from './hosts.js';
import { existsSync } from 'node:fs';

export class ManifestsInvalid extends Error {
  override readonly name = 'ManifestsInvalid';
  constructor(readonly errors: ManifestError[]) {
    super(`${errors.length} manifest error(s)`);
  }
}

export interface OneShotSource {
  manifestsDir: string;
  stateDir: string;
  log: Logger;
  /** The bundled build's identity: reuse what it parsed last time (controller/manifests/parse-cache.ts). */
  parserId?: string;
  /** The manifests' revision when `manifestsDir` is not a git work tree (`--git`: the fetched commit and its subject). */
  revision?: Revision;
}

export interface OneShotSnapshot {
  resources: ReadonlyMap<ResourceKey, Resource>;
  revision: Revision;
}

/** The manifests as read, and the pool of their Hosts, already connecting. */
export interface OneShotStart {
  snapshot: OneShotSnapshot;
  hosts: HostPool;
}

/**
 * Reads the manifests (ManifestsInvalid when any is wrong: nothing connects then) and starts connecting to every
 * Host they name. `read` leaves the parse cache as it was (`diff`); `write` saves what was parsed.
 */
export async function startOneShot(opts: OneShotSource, access: 'read' | 'write'): Promise<OneShotStart> {
  const dir = opts.manifestsDir;
  const revision = opts.revision ? Promise.resolve(opts.revision) : readRevision(dir); // git runs meanwhile
  const cache = opts.parserId && existsSync(opts.stateDir) ? openParseCache(opts.stateDir, opts.parserId, { readonly: access === 'read' }) : undefined;
  const { resources, errors } = await loadManifestDir(dir, undefined, undefined, cache);
  if (errors.length > 0) throw new ManifestsInvalid(errors); // readRevision never rejects: nothing left dangling
  const hosts = new HostPool({ manifestsDir: dir, stateDir: opts.stateDir, log: opts.log });
  try {
    await hosts.prewarm(resources.filter((r): r is Resource<HostSpecInput> => r.kind === 'Host'));
    return { snapshot: { resources: new Map(resources.map((r) => [keyOf(r), r] as const)), revision: await revision }, hosts };
  } catch (err) {
    await hosts.closeAll();
    throw err;
  }
}
