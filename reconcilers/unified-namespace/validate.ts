/**
 * Spec checks, each naming its field path. The CRD's patterns already refuse most of these; they are repeated
 * here in words (and for specs that do not come through the schema): a relative, non-normalized or `/` root,
 * folders with `..` or outside the root, ids chown cannot set, a mode that is not octal, a container listed twice,
 * paths a Proxmox `mpN` line cannot carry.
 */
import { posix } from 'node:path';
import { invalidSpec, type Problem } from '../core/problem.js';
import type { UnifiedNamespaceSpec } from './spec.js';

const CONTROL = /[\u0000-\u001f\u007f]/;
/** `(uid_t)-1` means "leave unchanged" to chown(2), so it cannot be an owner. */
export const MAX_ID = 4294967294;
const OCTAL_MODE = /^0?[0-7]{3,4}$/;
/** Separators of Proxmox property strings (`mp0: /data,mp=/data`): a path with them cannot be written there. */
const PROPERTY_STRING_SEPARATORS = /[,=]/;

export function validateSpec(spec: UnifiedNamespaceSpec): Problem<'InvalidSpec'>[] {
  const problems: Problem<'InvalidSpec'>[] = [];
  const add = (path: string, message: string) => problems.push(invalidSpec(path, message));

  const rootProblem = absolutePathProblem(spec.root, 'the tree');
  if (rootProblem) add('spec.root', rootProblem);

  spec.directories.forEach((folder, i) => {
    const problem = relativeFolderProblem(folder, spec.root);
    if (problem) add(`spec.directories[${i}]`, problem);
  });

  if (spec.owner) {
    for (const id of ['uid', 'gid'] as const) {
      const value = spec.owner[id];
      if (!Number.isInteger(value) || value < 0 || value > MAX_ID) {
        add(
          `spec.owner.${id}`,
          `must be a whole number from 0 to ${MAX_ID} (4294967295 is (uid_t)-1, which chown reads as "leave unchanged"), got ${JSON.stringify(value)}`,
        );
      }
    }
  }

  if (typeof spec.mode !== 'string' || !OCTAL_MODE.test(spec.mode)) {
    add('spec.mode', `must be octal permission bits in quotes, such as "2775" or "0755", got ${JSON.stringify(spec.mode)}`);
  } else if ((parseMode(spec.mode) & 0o100) === 0) {
    add('spec.mode', `"${spec.mode}" gives the owner no search (x) permission: nobody but root could enter the folders (folders want e.g. "2775")`);
  }

  const seen = new Map<string, number>();
  spec.shareInto.forEach((share, i) => {
    const first = seen.get(share.container);
    if (first !== undefined) {
      add(`spec.shareInto[${i}].container`, `container "${share.container}" is already listed at spec.shareInto[${first}]: one mount of the tree per container`);
    } else {
      seen.set(share.container, i);
    }
    if (share.path !== undefined) {
      const problem = absolutePathProblem(share.path, 'the tree inside the container');
      if (problem) add(`spec.shareInto[${i}].path`, problem);
      else if (PROPERTY_STRING_SEPARATORS.test(share.path)) add(`spec.shareInto[${i}].path`, 'must not contain "," or "=" (a Proxmox mpN line cannot carry them)');
    }
  });
  if (spec.shareInto.length > 0 && !rootProblem && PROPERTY_STRING_SEPARATORS.test(spec.root)) {
    add('spec.root', 'must not contain "," or "=" while spec.shareInto is set (a Proxmox mpN line cannot carry them)');
  }
  return problems;
}

/** `"2775"` → 0o2775. Assumes a valid mode (validate first). */
export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}

/** Why `path` is not an absolute, normalized path other than `/`; `null` when it is fine. */
function absolutePathProblem(path: string, what: string): string | null {
  if (typeof path !== 'string' || path === '') return `must be an absolute path such as /data, got ${JSON.stringify(path)}`;
  if (CONTROL.test(path)) return 'must not contain control characters (line breaks, tabs, ...)';
  if (!path.startsWith('/')) return `must be an absolute path (starting with /), got ${JSON.stringify(path)}: write /${path.replace(/^\.?\/*/, '')}`;
  const normalized = normalizeAbsolute(path);
  if (normalized === '/') return `must not be / (the whole filesystem): name the folder of ${what}, e.g. /data`;
  if (normalized !== path) return `must be normalized (no "//", "." or ".." segments, no trailing "/"): write ${normalized} instead of ${path}`;
  return null;
}

/** Why `folder` is not a normalized path below `root`; `null` when it is fine. */
function relativeFolderProblem(folder: string, root: string): string | null {
  if (typeof folder !== 'string' || folder === '') return 'must be a folder relative to spec.root, such as backups, got an empty name';
  if (CONTROL.test(folder)) return 'must not contain control characters (line breaks, tabs, ...)';
  const segments = folder.split('/');
  if (segments.includes('..')) return `must not contain ".." (folders stay inside spec.root), got ${JSON.stringify(folder)}`;
  if (folder.startsWith('/')) {
    const inside = root.startsWith('/') && (folder === root || folder.startsWith(`${root}/`));
    const hint = inside && folder !== root ? `: write ${folder.slice(root.length + 1)}` : `, and inside it (${root})`;
    return `must be relative to spec.root, got the absolute path ${folder}${hint}`;
  }
  if (segments.some((s) => s === '' || s === '.')) {
    return `must be normalized (no "//", "." segments or trailing "/"): write ${segments.filter((s) => s !== '' && s !== '.').join('/') || '(nothing)'} instead of ${folder}`;
  }
  return null;
}

function normalizeAbsolute(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}
