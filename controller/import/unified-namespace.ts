/**
 * UnifiedNamespace from a `/data`-like tree, pure: from the kind's own observation of a root and every TRaSH folder
 * below it (plus the container configs' bind mounts into it) to the document whose `diff` is empty, with comments.
 * The kind keeps one mode for every folder it declares and leaves undeclared folders alone, so the mode is the
 * root's and a folder with another mode is left out (with what is below it) rather than chmod'ed; owner is
 * omitted (left alone) when the folders disagree; `requireSameFilesystem` is false when a mount lies inside the
 * tree (else the kind would be Stalled/CrossDevice or Degraded/MountInsideTree). Folders beyond the layout are
 * listed, not declared: declaring them would make homeostat own folders a person manages, and diff ignores them.
 */
import { posix } from 'node:path';
import {
  declaredRelativeFolders,
  octal,
  validateSpec,
  type ConfigMount,
  type MountInTree,
  type ObservedFolder,
  type UnifiedNamespaceSpec,
} from '../../reconcilers/unified-namespace/index.js';
import { manifestName, type CarriedLine, type ImportedDocument } from './document.js';

/** One bind mount of the root, or of a folder below it, in a container config. */
export interface ShareLine {
  container: string;
  /** Host path of the config. */
  configPath: string;
  mount: ConfigMount;
}

/** What was read about one root. */
export interface TreeSurvey {
  host: string;
  root: string;
  /** The kind's observation of the root and of every TRaSH folder (a `layout: trash` spec), parents first. */
  folders: readonly ObservedFolder[];
  /** Mount points below the root that are not TRaSH folders; `null` when the mount table could not be read. */
  mountsInTree: readonly MountInTree[] | null;
  /** Bind mounts of the root or of a folder below it, in config order. */
  shares: readonly ShareLine[];
  /** Other folders under the root (relative, at most two levels down), and how many more were not looked at. */
  otherFolders: { found: readonly string[]; more: number };
}

/** Every TRaSH folder and its parents, relative to the root, parents first. */
export const TRASH_FOLDERS: readonly string[] = declaredRelativeFolders({ layout: 'trash', directories: [] });
/** The top-level TRaSH folders (torrents, usenet, media). */
const TOP_FOLDERS = TRASH_FOLDERS.filter((rel) => !rel.includes('/'));

/** How many folders a comment line names before saying "and N more". */
const LIST_MAX = 12;

/** A root a container mounts by one of its TRaSH folders (`/data/media`): its parent may be the tree. */
export function parentTreeOf(source: string): string | null {
  const parent = posix.dirname(source);
  return TOP_FOLDERS.includes(posix.basename(source)) && parent !== '/' ? parent : null;
}

/** A unified tree: the root is a real folder holding at least one real torrents/, usenet/ or media/ folder. */
export function looksUnified(folders: readonly ObservedFolder[]): boolean {
  return folders[0]?.state.kind === 'directory' && folders.some((f) => TOP_FOLDERS.includes(f.rel) && f.state.kind === 'directory');
}

const parentRel = (rel: string) => (posix.dirname(rel) === '.' ? '' : posix.dirname(rel));

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LIST_MAX).join(', ');
  return items.length > LIST_MAX ? `${shown} and ${items.length - LIST_MAX} more` : shown;
}

/** Why a folder that is there is not declared, or `null` when it is kept. */
function leftOutBecause(folder: ObservedFolder, mode: number): string | null {
  const s = folder.state;
  switch (s.kind) {
    case 'directory':
      return s.mode === mode ? null : `mode ${octal(s.mode)}`;
    case 'symlink':
      return `a symlink to ${s.target ?? 'an unresolvable path'}`;
    case 'other':
      return `a ${s.type}, not a folder`;
    default:
      return null;
  }
}

/**
 * The document for one tree, the full spec it prints and the config lines it carries (every mount of the whole
 * tree: `shareInto` rests on them), or a note on why there is none.
 */
export type TreeImport = { document: ImportedDocument; spec: UnifiedNamespaceSpec; carries: CarriedLine[] } | { document: null; note: string | null };

/** The document for one tree (none when the root is not a folder or the spec would not validate). */
export function unifiedNamespaceDocument(survey: TreeSurvey): TreeImport {
  const { host, root } = survey;
  const [rootFolder, ...below] = survey.folders;
  if (rootFolder?.state.kind !== 'directory') return { document: null, note: null };
  const rootState = rootFolder.state;
  const mode = rootState.mode;

  // Kept: real folders with the root's mode whose parent is kept. Every other folder that is there is left out.
  const kept = new Map<string, ObservedFolder>([['', rootFolder]]);
  const missing: string[] = [];
  const leftOut: string[] = [];
  for (const folder of below) {
    if (!kept.has(parentRel(folder.rel))) continue; // below a folder left out (or missing): not looked at on its own
    const why = leftOutBecause(folder, mode);
    if (folder.state.kind === 'missing') missing.push(folder.rel);
    else if (why !== null) leftOut.push(`${folder.rel} (${why})`);
    else if (folder.state.kind === 'directory') kept.set(folder.rel, folder);
  }
  const keptRels = [...kept.keys()].filter((rel) => rel !== '');
  const trash = keptRels.length === TRASH_FOLDERS.length;
  const directories = trash ? [] : keptRels.filter((rel) => !keptRels.some((other) => parentRel(other) === rel));

  const owners = new Map<string, string[]>();
  for (const [rel, folder] of kept) {
    if (folder.state.kind !== 'directory') continue;
    const key = `${folder.state.uid}:${folder.state.gid}`;
    owners.set(key, [...(owners.get(key) ?? []), rel === '' ? 'the root' : rel]);
  }
  const owner = owners.size === 1 ? { uid: rootState.uid, gid: rootState.gid } : undefined;

  const otherMounts = [
    ...survey.folders.flatMap((f) => (f.rel !== '' && f.state.kind === 'directory' && (f.state.mountpoint || f.state.dev !== rootState.dev) ? [`${f.rel} (a separate mount)`] : [])),
    ...(survey.mountsInTree ?? []).map((m) => `${m.path} (${m.fstype} ${m.source})`),
  ];

  const whole = survey.shares.filter((s) => s.mount.source === root);
  const parts = survey.shares.filter((s) => s.mount.source !== root);
  const shareInto: NonNullable<UnifiedNamespaceSpec['shareInto']> = [];
  for (const share of whole) {
    if (shareInto.some((s) => s.container === share.container)) continue;
    shareInto.push(share.mount.target === root ? { container: share.container } : { container: share.container, path: share.mount.target });
  }
  const split = shareInto.filter((s) => survey.shares.filter((l) => l.container === s.container).length > 1).map((s) => s.container);

  const spec: UnifiedNamespaceSpec = {
    host,
    root,
    layout: trash ? 'trash' : 'none',
    directories,
    ...(owner ? { owner } : {}),
    mode: octal(mode),
    requireSameFilesystem: otherMounts.length === 0,
    shareInto,
  };
  const problems = validateSpec(spec);
  if (problems.length > 0) {
    return { document: null, note: `Not imported as UnifiedNamespace, ${host}:${root}: ${problems.map((p) => p.message).join('; ')}` };
  }

  const comments = [
    `Imported from ${host}:${root}: ${trash ? 'the TRaSH layout, every folder of it there' : keptRels.length > 0 ? 'part of the TRaSH layout (layout none, the folders there listed)' : 'a tree with none of the TRaSH folders declared'}.`,
    ...(trash || missing.length === 0 ? [] : [`  Not there (homeostat would create them if they were listed): ${listed(missing)}`]),
    ...(whole.length === 0 ? ['No container mounts the whole tree.'] : ['Shared (the whole tree) by:', ...whole.map((s) => `  ${s.configPath}: ${s.mount.text}`)]),
    ...(parts.length === 0
      ? []
      : ['Mounts of folders inside the tree, not carried (one mount of the whole tree is what lets hardlinks work):', ...parts.map((s) => `  ${s.configPath}: ${s.mount.text}`)]),
    ...(split.length === 0 ? [] : [`Container${split.length === 1 ? '' : 's'} ${split.join(', ')} mount${split.length === 1 ? 's' : ''} the tree more than once: the resource will say so (Degraded/SplitMounts).`]),
    `Mode ${octal(mode)}: the root's. UnifiedNamespace keeps one mode for every folder it declares.`,
    ...(leftOut.length === 0
      ? []
      : [`Left out, with what is below them (listed, homeostat would change them; unlisted, it leaves them alone): ${listed(leftOut)}`]),
    ...(owner
      ? [`Owner ${owner.uid}:${owner.gid}: every folder declared has it.`]
      : ['Owner not set (ownership is left alone): the folders declared disagree:', ...[...owners].map(([who, rels]) => `  ${who}: ${listed(rels)}`)]),
    ...(otherMounts.length === 0
      ? []
      : [
          'requireSameFilesystem: false, because of mounts inside the tree (with true the resource would be Stalled/CrossDevice',
          `or Degraded/MountInsideTree): ${listed(otherMounts)}. Hardlinks do not cross them.`,
        ]),
    ...(survey.otherFolders.found.length === 0
      ? []
      : [
          `Other folders, not declared (homeostat leaves undeclared folders alone): ${listed(survey.otherFolders.found)}${survey.otherFolders.more > 0 ? ` (and entries not looked at: ${survey.otherFolders.more})` : ''}`,
        ]),
  ];
  const document: ImportedDocument = { kind: 'UnifiedNamespace', name: manifestName(`${host}${root.replaceAll('/', '-')}`), spec: specAsPrinted(spec), comments };
  return { document, spec, carries: whole.map((s) => ({ configPath: s.configPath, text: s.mount.text })) };
}

/** The spec without the fields left to their defaults (layout none, no directories, requireSameFilesystem true, no shares). */
function specAsPrinted(spec: UnifiedNamespaceSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { host: spec.host, root: spec.root, layout: spec.layout };
  if (spec.directories.length > 0) out.directories = spec.directories;
  if (spec.owner) out.owner = spec.owner;
  out.mode = spec.mode;
  if (!spec.requireSameFilesystem) out.requireSameFilesystem = false;
  if (spec.shareInto.length > 0) out.shareInto = spec.shareInto;
  return out;
}

/** The folders a survey asks the kind to observe: every TRaSH folder below the root. */
export function surveySpec(host: string, root: string): UnifiedNamespaceSpec {
  return { host, root, layout: 'trash', directories: [], mode: '2775', requireSameFilesystem: true, shareInto: [] };
}
