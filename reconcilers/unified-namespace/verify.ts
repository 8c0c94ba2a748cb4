/**
 * After a converged plan (given with the observation it was made from: verify never plans again): the hardlink
 * probe (when the tree must be one filesystem; again whenever a folder's identity changed, else every
 * AUDIT_INTERVAL_MS), the status fields `homeostat describe` shows (the shares' from the plan), and the copy
 * audit when it is due. A failed probe makes the resource Stalled/CrossDevice; a failed audit is reported in
 * status and never fails the run.
 */
import { StalledError, type ReconcileContext, type VerifyResult } from '../core/contract.js';
import { errorMessage, joinMessages } from '../core/problem.js';
import { AUDIT_INTERVAL_MS, auditDue, runAudit } from './audit/index.js';
import { checked } from './apply.js';
import type { UnifiedNamespaceMemo } from './audit/memo.js';
import type { UnifiedNamespaceObserved, UnifiedNamespacePlan } from './model.js';
import { hardlinkProbe, probeSignature, probeTargets } from './probe.js';
import type { UnifiedNamespaceStallReason } from './reasons.js';
import type { UnifiedNamespaceSpec } from './spec.js';

type Ctx = ReconcileContext<UnifiedNamespaceSpec>;

export async function verifyNamespace(observed: UnifiedNamespaceObserved, plan: UnifiedNamespacePlan, ctx: Ctx): Promise<VerifyResult> {
  const spec = ctx.resource.spec;
  const memo = ctx.memo as UnifiedNamespaceMemo;
  const root = observed.folders[0]!;
  if (root.state.kind !== 'directory') return {}; // nothing to prove yet (the root's parent is missing)

  if (spec.requireSameFilesystem) {
    const signature = probeSignature(observed.folders);
    const fresh = memo.probe && memo.probe.signature === signature && ctx.now - memo.probe.at < AUDIT_INTERVAL_MS && ctx.now >= memo.probe.at;
    if (!fresh) {
      // A folder that is not the one observed any more (swapped, replaced, moved out) is FolderChanged: observe again.
      const failures = await checked(ctx, root.path, () => hardlinkProbe(ctx.host, observed.folders, ctx.resource.metadata.name));
      if (failures.length > 0) {
        delete memo.probe;
        const reason: UnifiedNamespaceStallReason = failures.some((f) => f.code === 'EXDEV') ? 'CrossDevice' : 'HardlinksUnsupported';
        throw new StalledError(reason, joinMessages(failures.map((f) => f.message)));
      }
      memo.probe = { signature, at: ctx.now };
    }
  }

  ctx.setStatus({
    root: spec.root,
    folders: observed.folders.length - 1,
    hardlinkProbe: spec.requireSameFilesystem
      ? { ok: true, folders: probeTargets(observed.folders).length, at: new Date(memo.probe?.at ?? ctx.now).toISOString() }
      : 'skipped (requireSameFilesystem: false)',
    mountsInTree: observed.mountsInTree ?? 'unknown (no /proc/self/mountinfo)',
    shares: plan.shares,
  });

  if (auditDue(memo, ctx.now)) {
    try {
      ctx.setStatus({ audit: await runAudit(ctx.host, spec.root, memo, ctx.cache, ctx.now, { signal: ctx.signal }) });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.log.warn({ err }, 'copy audit failed');
      memo.audit = { at: ctx.now, pending: 0 };
      ctx.setStatus({ audit: { at: new Date(ctx.now).toISOString(), error: errorMessage(err) } });
    }
  }
  return {};
}
