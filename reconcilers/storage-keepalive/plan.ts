/**
 * StorageKeepalive's plan, pure: from spec, observation, `now` and the inventory to the changes that make the
 * host match. Controller mode plans a heartbeat when one is due (and always says when the next one is);
 * cron mode converges the cron file. Both remove inventory files the spec no longer wants, and both report
 * `Degraded`/`NotMounted` instead of writing when the disk is not there.
 */
import type { InventoryItem, Plan, PlanInput, ReportedCondition } from '../core/contract.js';
import { renderCronFile, cronFilePath } from './cron.js';
import { durationMs, formatMs } from '../core/duration.js';
import { diffLines } from './line-diff.js';
import {
  CRON_FILE_MODE,
  type DeleteChange,
  type StorageKeepaliveChange,
  type StorageKeepaliveObserved,
} from './model.js';
import type { StorageKeepaliveSpec } from './spec.js';
import { fileItem, heartbeatPath, hostTarget, wantedFile } from './targets.js';

/** How soon to look again while the disk is missing, so the resource recovers by itself when it returns. */
export const NOT_MOUNTED_RECHECK_MS = 5_000;

export function planKeepalive(
  spec: StorageKeepaliveSpec,
  observed: StorageKeepaliveObserved,
  input: PlanInput,
): Plan<StorageKeepaliveChange> {
  const cleanup = planInventoryCleanup(spec, input);
  const plan = spec.mode === 'cron' ? planCron(spec, observed, input) : planController(spec, observed, input);
  return { ...plan, changes: [...cleanup, ...plan.changes] };
}

/** Every inventory file on this host that the current spec does not want (mode switch, new path, new file name). */
function planInventoryCleanup(spec: StorageKeepaliveSpec, input: PlanInput): DeleteChange[] {
  const wanted = wantedFile(input.name, spec);
  return input.inventory
    .filter((item) => item.type === 'file' && item.host === spec.host && item.id !== wanted)
    .map((item) => ({
      action: 'delete',
      target: hostTarget(item.host, item.id),
      summary: `remove ${hostTarget(item.host, item.id)}: created by homeostat, no longer wanted by the spec`,
      item: { type: item.type, host: item.host, id: item.id },
    }));
}

/** Why nothing may be written under `spec.path` right now, or `null` when it is fine. */
function targetProblem(spec: StorageKeepaliveSpec, observed: StorageKeepaliveObserved): ReportedCondition | null {
  const consequence =
    spec.mode === 'cron' ? 'the cron job skips its heartbeat until it is back' : 'heartbeats are paused until it is back';
  if (!observed.target.exists) {
    return {
      type: 'Degraded',
      reason: 'NotMounted',
      message: `${spec.path} is missing on host ${spec.host} (is the disk unplugged?): ${consequence}`,
    };
  }
  if (!observed.target.isDirectory) {
    return { type: 'Degraded', reason: 'NotADirectory', message: `${spec.path} is not a directory: ${consequence}` };
  }
  if (spec.requireMountpoint && !observed.target.isMountpoint) {
    return {
      type: 'Degraded',
      reason: 'NotMounted',
      message:
        `${spec.path} is not a mountpoint on host ${spec.host} (disk unplugged or not mounted), so writing would ` +
        `land on the filesystem below it: ${consequence}`,
    };
  }
  return null;
}

function planController(
  spec: StorageKeepaliveSpec,
  observed: StorageKeepaliveObserved,
  input: PlanInput,
): Plan<StorageKeepaliveChange> {
  const problem = targetProblem(spec, observed);
  if (problem) return { changes: [], degraded: problem, requeueAfterMs: NOT_MOUNTED_RECHECK_MS };

  const intervalMs = durationMs(spec.interval);
  const path = heartbeatPath(spec);
  const last = lastHeartbeatAt(path, observed, input.memo);
  const elapsed = last === null ? null : input.now - last;
  // A last heartbeat more than an interval in the future is clock skew, not a recent write: do not trust it.
  const due = elapsed === null || elapsed >= intervalMs || elapsed < -intervalMs;
  if (!due) {
    return { changes: [], requeueAfterMs: Math.min(intervalMs, Math.max(1, intervalMs - elapsed)) };
  }

  const inInventory = input.inventory.some((item) => item.type === 'file' && item.host === spec.host && item.id === path);
  const why = elapsed === null ? 'no heartbeat file yet' : `last heartbeat ${formatMs(Math.abs(elapsed))} ${elapsed < 0 ? 'in the future' : 'ago'}`;
  return {
    changes: [
      {
        action: 'heartbeat',
        target: hostTarget(spec.host, path),
        summary: `heartbeat ${hostTarget(spec.host, path)} (${spec.method === 'touch' ? 'write' : 'write + fsync'}; ${why}, interval ${spec.interval})`,
        path,
        fsync: spec.method === 'write-fsync',
        guardMountpoint: spec.requireMountpoint ? spec.path : null,
        record: observed.heartbeat === null && !inInventory,
      },
    ],
    requeueAfterMs: intervalMs,
  };
}

/** The controller's own memo when it is about this file, else the file's mtime; `null` when the file is missing. */
function lastHeartbeatAt(path: string, observed: StorageKeepaliveObserved, memo: PlanInput['memo']): number | null {
  if (observed.heartbeat === null) return null;
  if (memo.lastHeartbeatPath === path && typeof memo.lastHeartbeatAt === 'number' && Number.isFinite(memo.lastHeartbeatAt)) {
    return memo.lastHeartbeatAt;
  }
  return observed.heartbeat.mtimeMs;
}

function planCron(
  spec: StorageKeepaliveSpec,
  observed: StorageKeepaliveObserved,
  input: PlanInput,
): Plan<StorageKeepaliveChange> {
  if (observed.cron === null) throw new Error('cron mode planned against an observation made for controller mode');
  const path = cronFilePath(input.name);
  const target = hostTarget(spec.host, path);
  if (!observed.cron.dirExists) {
    return {
      changes: [],
      degraded: {
        type: 'Degraded',
        reason: 'CronNotInstalled',
        message: `/etc/cron.d does not exist on host ${spec.host}: install cron, or use mode: controller`,
      },
    };
  }

  const problem = targetProblem(spec, observed);
  const notMounted: Pick<Plan, 'degraded' | 'requeueAfterMs'> = problem
    ? { degraded: problem, requeueAfterMs: NOT_MOUNTED_RECHECK_MS }
    : {};
  const desired = renderCronFile(input.name, spec);
  const current = observed.cron.file;

  if (current === null || current.content !== desired) {
    return {
      changes: [
        {
          action: 'write',
          target,
          summary: current === null ? `create ${target}` : `rewrite ${target} (it differs from the spec)`,
          details: diffLines(current?.content ?? '', desired),
          path,
          content: desired,
          mode: CRON_FILE_MODE,
        },
      ],
      ...notMounted,
    };
  }

  const item: InventoryItem = fileItem(spec.host, path);
  const changes: StorageKeepaliveChange[] = [];
  if ((current.mode & 0o7777) !== CRON_FILE_MODE) {
    changes.push({
      action: 'chmod',
      target,
      summary: `chmod ${target} from ${octal(current.mode)} to ${octal(CRON_FILE_MODE)}`,
      path,
      mode: CRON_FILE_MODE,
    });
  }
  if (!input.inventory.some((i) => i.type === item.type && i.host === item.host && i.id === item.id)) {
    changes.push({ action: 'adopt', target, summary: `record ${target} as created by homeostat (it matches the spec)`, item });
  }
  return { changes, ...notMounted };
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}
