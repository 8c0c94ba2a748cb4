/**
 * The reading half of the UnifiedNamespace import, through the Host API only: which roots containers bind-mount
 * (in the configs importHost read once, parsed with the kind's share parsing) plus `/data`, each root's TRaSH
 * folders as the kind's own `observe` sees them, a bounded look at other folders, and, once the document is made,
 * the kind's `plan` on a fresh observation of it: anything it would change (nothing, on every tree tried) is put in
 * the comments.
 * Never a write: the context it gives `observe` refuses every recording.
 */
import { posix } from 'node:path';
import { isStalledError, type PlanInput, type ReconcileContext } from '../../reconcilers/core/contract.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { API_VERSION } from '../../reconcilers/core/resource.js';
import type { Host } from '../../reconcilers/host/index.js';
import {
  configMounts,
  isInside,
  unifiedNamespaceReconciler,
  type ObservedFolder,
  type UnifiedNamespaceSpec,
} from '../../reconcilers/unified-namespace/index.js';
import type { CarriedLine, ImportResult } from './document.js';
import { listIfExists, type ReadHostConfig } from './host-configs.js';
import { looksUnified, parentTreeOf, surveySpec, TRASH_FOLDERS, unifiedNamespaceDocument, type ShareLine, type TreeSurvey } from './unified-namespace.js';

/** The conventional root, looked at even when no container mounts it. */
export const DEFAULT_ROOT = '/data';
/** How many entries the look at other folders stats at most. */
const OTHER_STATS_MAX = 64;
const DEADLINE_MS = 60_000;
/** Bind mounts from under these are devices or kernel views, never a unified tree. */
const SYSTEM_TREES = ['/dev', '/proc', '/sys', '/run'];

/**
 * Every unified tree on `host` as a UnifiedNamespace document; roots that are not one in a note. `carried`: the
 * config lines the documents' shares rest on (the LxcDevice import does not list them as not carried).
 */
export async function importUnifiedNamespaces(host: Host, configs: readonly ReadHostConfig[]): Promise<ImportResult & { carried: CarriedLine[] }> {
  const signal = AbortSignal.timeout(DEADLINE_MS);
  const shares = shareLines(configs);
  // Device and kernel folders (/dev/dri, /dev/net) are passed-through devices (LxcDevice's), never a data tree.
  const mounted = new Set(shares.map((s) => s.mount.source).filter((source) => !SYSTEM_TREES.some((dir) => isInside(dir, source))));
  const guesses = new Set(shares.flatMap((s) => parentTreeOf(s.mount.source) ?? []));
  const candidates = [...new Set([DEFAULT_ROOT, ...mounted, ...guesses])].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));

  const result: ImportResult & { carried: CarriedLine[] } = { documents: [], notes: [], carried: [] };
  const imported: string[] = [];
  const notUnified: string[] = [];
  for (const root of candidates) {
    if (root === '/' || imported.some((r) => isInside(r, root))) continue; // inside a tree already imported
    if ((await host.lstat(root))?.type !== 'directory') continue;
    const spec = surveySpec(host.name, root);
    const observed = await unifiedNamespaceReconciler.observe(readOnlyContext(host, spec, signal));
    if (!looksUnified(observed.folders)) {
      if (mounted.has(root) || root === DEFAULT_ROOT) notUnified.push(root);
      continue;
    }
    const survey: TreeSurvey = {
      host: host.name,
      root,
      folders: observed.folders,
      mountsInTree: observed.mountsInTree,
      shares: shares.filter((s) => isInside(root, s.mount.source)),
      otherFolders: await otherFolders(host, observed.folders),
    };
    const made = unifiedNamespaceDocument(survey);
    if (made.document === null) {
      if (made.note !== null) result.notes.push(made.note);
      continue;
    }
    made.document.comments.push(...(await whatDiffWouldDo(host, made.spec, signal)));
    result.documents.push(made.document);
    result.carried.push(...made.carries);
    imported.push(root);
  }
  if (notUnified.length > 0) {
    result.notes.push(`Not imported as UnifiedNamespace (no torrents/, usenet/ or media/ folder in them): ${notUnified.map((r) => `${host.name}:${r}`).join(', ')}`);
  }
  return result;
}

const depth = (path: string) => path.split('/').filter(Boolean).length;

/** Every bind mount of a host path in every container config's main section (configs that cannot be read are skipped: the LxcDevice import lists them). */
/** The mounts of every config read (one that could not be read the LxcDevice import reports). */
function shareLines(configs: readonly ReadHostConfig[]): ShareLine[] {
  return configs.flatMap((config) =>
    'snapshot' in config
      ? configMounts(config.snapshot.doc).map((mount) => ({ container: config.location.container, configPath: config.location.path, mount }))
      : [],
  );
}

/**
 * Folders beyond the layout, at most two levels down: the root's entries and those of its real torrents/, usenet/
 * and media/ folders (hidden ones skipped), at most OTHER_STATS_MAX looked at.
 */
async function otherFolders(host: Host, folders: readonly ObservedFolder[]): Promise<TreeSurvey['otherFolders']> {
  const known = new Set(TRASH_FOLDERS);
  const root = folders[0]!.path;
  const parents = ['', ...folders.filter((f) => f.rel !== '' && !f.rel.includes('/') && f.state.kind === 'directory').map((f) => f.rel)];
  const entries: string[] = [];
  for (const parent of parents) {
    for (const name of (await listIfExists(host, posix.join(root, parent))).sort()) {
      const rel = parent === '' ? name : `${parent}/${name}`;
      if (!name.startsWith('.') && !known.has(rel)) entries.push(rel);
    }
  }
  const looked = entries.slice(0, OTHER_STATS_MAX);
  const stats = await Promise.all(looked.map((rel) => host.lstat(posix.join(root, rel))));
  return { found: looked.filter((_, i) => stats[i]?.type === 'directory'), more: entries.length - looked.length };
}

/** The kind's plan on a fresh observation of `spec`, as comment lines: `[]` when `diff` will show nothing. */
async function whatDiffWouldDo(host: Host, spec: UnifiedNamespaceSpec, signal: AbortSignal): Promise<string[]> {
  const observed = await unifiedNamespaceReconciler.observe(readOnlyContext(host, spec, signal));
  const input: PlanInput = { name: 'import', now: Date.now(), inventory: [], memo: {} };
  try {
    const plan = unifiedNamespaceReconciler.plan(spec, observed, input);
    return [
      ...(plan.changes.length === 0 ? [] : ['`homeostat diff` will show these changes:', ...plan.changes.map((c) => `  ${c.action} ${c.target}: ${c.summary}`)]),
      ...(plan.degraded ? [`The resource will be Degraded/${plan.degraded.reason}: ${plan.degraded.message}`] : []),
    ];
  } catch (err) {
    if (isStalledError(err)) return [`The resource will be Stalled/${err.reason}: ${err.message}`];
    return [`Could not check what \`homeostat diff\` will show: ${errorMessage(err)}`];
  }
}

/** A reconcile context for `observe` alone: no inventory, and every recording refused (an import never writes). */
function readOnlyContext(host: Host, spec: UnifiedNamespaceSpec, signal: AbortSignal): ReconcileContext<UnifiedNamespaceSpec> {
  const refuse = (): never => {
    throw new Error('homeostat import reads only');
  };
  return {
    resource: {
      apiVersion: API_VERSION,
      kind: 'UnifiedNamespace',
      metadata: { name: 'import', labels: {}, annotations: {} },
      spec,
      source: { file: '(import)', line: 1, col: 1 },
      generation: 'import',
    },
    host,
    signal,
    now: Date.now(),
    inventory: [],
    recordInventory: async () => refuse(),
    forgetInventory: refuse,
    memo: {},
    cache: { load: () => new Map(), save: refuse },
    setStatus: refuse,
    event: () => {},
    log: silentLogger,
  };
}
