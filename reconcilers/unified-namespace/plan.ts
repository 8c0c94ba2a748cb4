/**
 * UnifiedNamespace's plan, pure: from spec, observation and inventory to the changes that make the host match.
 * Problems only a person can fix (a cross-device folder, a symlink leaving the root, a file where a folder
 * belongs, another mount at a share's path) throw `StalledError`; things that work but not as declared (mounts
 * inside the tree, several mounts into it in one container, a locked or missing container config, a root whose
 * parent is missing) are `Degraded`. Intents a crash left come first (completed or forgotten), then folders
 * (parents first), then leftovers, then container configs, so that the tree exists before any container
 * mounts it.
 */
import { StalledError, type PlanInput, type ReportedCondition } from '../core/contract.js';
import { joinMessages } from '../core/problem.js';
import { hostTarget } from './layout.js';
import type { UnifiedNamespaceObserved, UnifiedNamespacePlan } from './model.js';
import { planFolders, planIntents, planLeftovers } from './plan-folders.js';
import { treeProblems } from './problems.js';
import type { UnifiedNamespaceDegradedReason, UnifiedNamespaceStallReason } from './reasons.js';
import { planShares, type ShareFinding } from './share/plan.js';
import type { UnifiedNamespaceSpec } from './spec.js';
import type { UnifiedNamespaceMemo } from './audit/memo.js';

/** Look again this often even without an event: a mount appearing inside the tree makes no inotify event. */
export const RECHECK_MS = 60_000;
/** Sooner while something outside homeostat's hands may change by itself (a parent folder, a locked config). */
export const WAITING_RECHECK_MS = 5_000;
/** While the copy audit still has files to hash, continue soon. */
export const AUDIT_CONTINUE_MS = 1_000;

export function planNamespace(
  spec: UnifiedNamespaceSpec,
  observed: UnifiedNamespaceObserved,
  input: PlanInput,
): UnifiedNamespacePlan {
  const problems = treeProblems(spec, observed);
  if (problems.length > 0) throw new StalledError<UnifiedNamespaceStallReason>(problems[0]!.reason, joinMessages(problems.map((p) => p.message)));

  // Intents a crash left and folders the spec no longer declares are settled even while the root waits.
  const intents = planIntents(observed.folders);
  const leftovers = planLeftovers(observed.leftovers);
  const root = observed.folders[0]!;
  if (root.state.kind === 'missing' && observed.rootParent !== 'directory') {
    const parent = hostTarget(spec.host, root.path.slice(0, root.path.lastIndexOf('/')) || '/');
    return {
      changes: [...intents, ...leftovers],
      shares: [],
      degraded: {
        type: 'Degraded',
        reason: 'RootParentMissing',
        message: `${parent} does not exist${observed.rootParent === 'other' ? ' as a folder' : ''} (a disk not mounted?): ${root.path} is created once it does`,
      },
      requeueAfterMs: WAITING_RECHECK_MS,
    };
  }

  const shares = planShares(spec, observed.shares, input);
  const stalled = shares.findings.filter((f): f is Extract<ShareFinding, { severity: 'stalled' }> => f.severity === 'stalled');
  if (stalled.length > 0) throw new StalledError<UnifiedNamespaceStallReason>(stalled[0]!.reason, joinMessages(stalled.map((f) => f.message)));

  const findings: ShareFinding[] = [...mountFindings(spec, observed), ...shares.findings];
  const memo = input.memo as UnifiedNamespaceMemo;
  const waiting = findings.some((f) => f.reason === 'ConfigLocked' || f.reason === 'ContainerNotFound');
  const requeueAfterMs = (memo.audit?.pending ?? 0) > 0 ? AUDIT_CONTINUE_MS : waiting ? WAITING_RECHECK_MS : RECHECK_MS;
  return {
    changes: [...intents, ...planFolders(spec, observed), ...leftovers, ...shares.changes],
    shares: shares.status,
    ...(findings.length > 0 ? { degraded: degradedOf(findings) } : {}),
    requeueAfterMs,
  };
}

/** Mounts inside the tree below the declared folders (reported when the tree must be one filesystem). */
function mountFindings(spec: UnifiedNamespaceSpec, observed: UnifiedNamespaceObserved): ShareFinding[] {
  const mounts = observed.mountsInTree ?? [];
  if (!spec.requireSameFilesystem || mounts.length === 0) return [];
  const list = mounts.map((m) => `${m.path} (${m.fstype} ${m.source}, device ${m.device})`);
  return [
    {
      severity: 'degraded',
      reason: 'MountInsideTree',
      message: `${mounts.length === 1 ? 'a mount' : `${mounts.length} mounts`} inside ${spec.root}: ${joinMessages(list, 5)}; files there cannot be hardlinked or renamed to the rest of the tree`,
    },
  ];
}

/** One Degraded condition for several findings: the first one's reason, every message. */
export function degradedOf(findings: readonly ShareFinding[]): ReportedCondition {
  const order: UnifiedNamespaceDegradedReason[] = ['SplitMounts', 'MountInsideTree', 'ContainerNotFound', 'ConfigLocked'];
  const sorted = [...findings].sort((a, b) => rank(order, a.reason) - rank(order, b.reason));
  return { type: 'Degraded', reason: sorted[0]!.reason, message: joinMessages(sorted.map((f) => f.message)) };
}

function rank(order: readonly string[], reason: string): number {
  const i = order.indexOf(reason);
  return i === -1 ? order.length : i;
}
