/**
 * What in the observed tree needs a person (pure): a root that is a symlink or not a folder, a declared folder
 * that is a file, a dangling symlink, a symlink leaving the root, and, with `requireSameFilesystem`, a folder on
 * another filesystem or a separate mount (`CrossDevice`, naming the folder and both devices), because hardlinks
 * and renames across it fail with EXDEV.
 */
import type { Problem } from '../core/problem.js';
import { folderLabel } from './layout.js';
import { formatDevice } from './mounts.js';
import type { ObservedFolder, UnifiedNamespaceObserved } from './model.js';
import type { TreeProblemReason } from './reasons.js';
import type { UnifiedNamespaceSpec } from './spec.js';

export type TreeProblem = Problem<TreeProblemReason>;

const CONSEQUENCE = 'hardlinks and renames between it and the rest of the tree fail (EXDEV: every import becomes a full copy)';

export function treeProblems(spec: UnifiedNamespaceSpec, observed: UnifiedNamespaceObserved): TreeProblem[] {
  const [root, ...folders] = observed.folders as [ObservedFolder, ...ObservedFolder[]];
  if (root.state.kind === 'symlink') {
    const to = root.state.target ?? 'an unresolvable path';
    return [{ reason: 'RootIsSymlink', message: `root ${root.path} is a symlink to ${to}: set spec.root to the real folder (${to}), so that bind mounts and hardlinks see one filesystem` }];
  }
  if (root.state.kind === 'other') {
    return [{ reason: 'NotADirectory', message: `root ${root.path} is a ${root.state.type}, not a folder: move it away` }];
  }
  const rootDev = root.state.kind === 'directory' ? root.state.dev : null;
  const rootDevice = rootDev === null ? '' : `the root's device ${formatDevice(rootDev)} (${root.path})`;
  const problems: TreeProblem[] = [];
  for (const folder of folders) {
    const label = folderLabel(folder);
    const state = folder.state;
    switch (state.kind) {
      case 'other':
        problems.push({ reason: 'NotADirectory', message: `${label} is a ${state.type}, not a folder: move it away` });
        break;
      case 'symlink': {
        const to = state.target ?? 'an unresolvable path';
        if (state.resolved === null) {
          problems.push({ reason: 'BrokenSymlink', message: `${label} is a symlink to ${to}, which does not exist: remove the link or create its target` });
        } else if (spec.requireSameFilesystem && rootDev !== null && state.resolved.dev !== rootDev) {
          problems.push({
            reason: 'CrossDevice',
            message: `${label} is a symlink to ${to} on device ${formatDevice(state.resolved.dev)}, not on ${rootDevice}: ${CONSEQUENCE}`,
          });
        } else if (!state.insideRoot) {
          problems.push({
            reason: 'SymlinkOutsideRoot',
            message: `${label} is a symlink to ${to}, outside ${root.path}: homeostat never follows it, and containers that get ${root.path} cannot see its target; make it a real folder`,
          });
        } else if (state.resolved.type !== 'directory') {
          problems.push({ reason: 'NotADirectory', message: `${label} is a symlink to ${to}, which is a ${state.resolved.type}, not a folder` });
        }
        break;
      }
      case 'directory':
        if (!spec.requireSameFilesystem || rootDev === null) break;
        if (state.dev !== rootDev) {
          problems.push({
            reason: 'CrossDevice',
            message: `${label} is on device ${formatDevice(state.dev)}, not on ${rootDevice}: it is a separate filesystem mounted inside the tree, so ${CONSEQUENCE}`,
          });
        } else if (state.mountpoint) {
          problems.push({
            reason: 'CrossDevice',
            message: `${label} is a separate mount (device ${formatDevice(state.dev)}, the same as ${rootDevice}, e.g. a bind mount): hardlinks do not cross mounts, so ${CONSEQUENCE}`,
          });
        }
        break;
      case 'missing':
      case 'unreachable':
        break;
    }
  }
  // The most consequential reason names the condition; every problem is in the message.
  const order: TreeProblemReason[] = ['CrossDevice', 'SymlinkOutsideRoot', 'BrokenSymlink', 'NotADirectory', 'RootIsSymlink'];
  return problems.sort((a, b) => order.indexOf(a.reason) - order.indexOf(b.reason));
}
