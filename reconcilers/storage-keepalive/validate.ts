/**
 * Spec checks the CRD schema cannot express (pure): durations that parse, a heartbeat file name that is one
 * path component, and, in cron mode, an interval cron can repeat and paths cron can carry.
 */
import { posix } from 'node:path';
import { cronSchedule } from './cron.js';
import { parseDuration } from '../core/duration.js';
import { invalidSpec, type Problem } from '../core/problem.js';
import type { StorageKeepaliveSpec } from './spec.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

export function validateSpec(spec: StorageKeepaliveSpec): Problem<'InvalidSpec'>[] {
  const problems: Problem<'InvalidSpec'>[] = [];
  if (!posix.isAbsolute(spec.path)) problems.push(invalidSpec('spec.path', `must be an absolute path, got "${spec.path}"`));
  if (CONTROL.test(spec.path)) problems.push(invalidSpec('spec.path', 'must not contain control characters'));

  if (spec.file === '' || spec.file === '.' || spec.file === '..' || spec.file.includes('/')) {
    problems.push(invalidSpec('spec.file', `must be a file name (one path component), got "${spec.file}"`));
  } else if (CONTROL.test(spec.file)) {
    problems.push(invalidSpec('spec.file', 'must not contain control characters'));
  }

  const intervalMs = parseDuration(spec.interval);
  if (intervalMs === null || intervalMs <= 0) {
    problems.push(invalidSpec('spec.interval', `must be a positive duration such as 30s or 5m, got "${spec.interval}"`));
  } else if (spec.mode === 'cron') {
    const scheduled = cronSchedule(intervalMs);
    if ('problem' in scheduled) problems.push(invalidSpec('spec.interval', `${spec.interval}: ${scheduled.problem}`));
  }

  if (parseDuration(spec.slowThreshold) === null) {
    problems.push(invalidSpec('spec.slowThreshold', `must be a duration such as 2s, got "${spec.slowThreshold}"`));
  }

  if (spec.mode === 'cron') {
    // cron drops the backslash of `\%` and keeps every other one, so a path with a backslash cannot be
    // written into a cron line that means exactly that path.
    for (const field of ['path', 'file'] as const) {
      if (spec[field].includes('\\')) {
        problems.push(invalidSpec(`spec.${field}`, 'cron mode cannot carry a backslash in a path; rename it or use mode: controller'));
      }
    }
  }
  return problems;
}
