/**
 * UnifiedNamespace's condition reasons, as unions: why the tree or a share needs a person (Stalled), why a run
 * failed and is retried, and why it works but not as declared (Degraded). Problems and findings carry them; `StalledError` is typed with them.
 */
import type { ConfigReadReason } from '../lxc-config/index.js';

/** What in the observed tree needs a person. */
export type TreeProblemReason = 'RootIsSymlink' | 'NotADirectory' | 'CrossDevice' | 'BrokenSymlink' | 'SymlinkOutsideRoot';

/** Why sharing into a container needs a person. */
export type ShareStallReason = 'InvalidContainer' | 'MountPathTaken' | 'NoFreeMountPoint' | ConfigReadReason;

/** Every reason a UnifiedNamespace is Stalled for (`HardlinksUnsupported`: the hardlink probe failed, not with EXDEV). */
export type UnifiedNamespaceStallReason = TreeProblemReason | ShareStallReason | 'HardlinksUnsupported';

/** A failure a retry fixes, with its reason (Ready shows it meanwhile): a folder changed under the plan. */
export type UnifiedNamespaceRetryReason = 'FolderChanged';

/** Works, but not as declared (or not yet): the Degraded condition's reason. */
export type UnifiedNamespaceDegradedReason = 'SplitMounts' | 'MountInsideTree' | 'ContainerNotFound' | 'ConfigLocked' | 'RootParentMissing';
