/**
 * Cron mode, rendered purely: the `/etc/cron.d` file name for a resource, the schedule for an interval
 * (only intervals cron can express), and the file's content. The cron line is the one piece of shell text
 * homeostat produces: every path in it is single-quoted, and `%` is escaped as `\%` because cron turns a bare
 * `%` into a newline.
 */
import { posix } from 'node:path';
import type { StorageKeepaliveSpec } from './spec.js';
import { durationMs } from '../core/duration.js';

export const CRON_DIR = '/etc/cron.d';

/** run-parts (and so cron) ignores cron.d files whose names contain anything but these. */
const CRON_NAME_UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * `homeostat-<name>`: resource names are DNS-1123 (`[a-z0-9.-]`), so `.` maps to `_` (which names cannot
 * contain: `hdd.main` and `hdd-main` stay distinct); anything else cron.d would reject maps to `-`.
 */
export function cronFileName(resourceName: string): string {
  return `homeostat-${resourceName}`.replace(/\./g, '_').replace(CRON_NAME_UNSAFE, '-');
}

export function cronFilePath(resourceName: string): string {
  return posix.join(CRON_DIR, cronFileName(resourceName));
}

/**
 * The five schedule fields for an interval: whole minutes dividing an hour (`*\/N * * * *`) or whole hours
 * dividing a day (`0 *\/N * * *`). Anything else cannot run at a steady interval from cron: a `problem`.
 */
export function cronSchedule(intervalMs: number): { schedule: string } | { problem: string } {
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  if (intervalMs > 0 && intervalMs % HOUR === 0 && 24 % (intervalMs / HOUR) === 0) {
    const hours = intervalMs / HOUR;
    return { schedule: hours === 24 ? '0 0 * * *' : `0 */${hours} * * *` };
  }
  if (intervalMs > 0 && intervalMs < HOUR && intervalMs % MINUTE === 0 && 60 % (intervalMs / MINUTE) === 0) {
    return { schedule: `*/${intervalMs / MINUTE} * * * *` };
  }
  return {
    problem:
      'cron mode needs an interval cron can repeat evenly: whole minutes that divide 60 (1m, 5m, 15m, 30m, ...) ' +
      'or whole hours that divide 24 (1h, 2h, 6h, 24h, ...)',
  };
}

/** A POSIX shell single-quoted word: nothing inside is special to the shell. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Cron reads a bare `%` in the command as a newline; `\%` is a literal `%` (cron removes the backslash). */
export function escapeCronPercent(command: string): string {
  return command.replaceAll('%', '\\%');
}

/** The heartbeat as a shell command, before cron's `%` escaping (what `sh -n` can check). */
export function heartbeatShellCommand(spec: StorageKeepaliveSpec): string {
  const file = shellQuote(posix.join(spec.path, spec.file));
  const write =
    spec.method === 'touch' ? `touch ${file}` : `date -u +%Y-%m-%dT%H:%M:%SZ > ${file} && sync ${file}`;
  return spec.requireMountpoint ? `mountpoint -q ${shellQuote(spec.path)} && ${write}` : write;
}

/** Comment text cannot carry a line break (it would end the comment and start a cron line). */
function commentSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}

/** The whole `/etc/cron.d/homeostat-<name>` file. Throws when the interval cannot be expressed (validate first). */
export function renderCronFile(resourceName: string, spec: StorageKeepaliveSpec): string {
  const scheduled = cronSchedule(durationMs(spec.interval));
  if ('problem' in scheduled) throw new Error(`spec.interval ${spec.interval}: ${scheduled.problem}`);
  const heartbeatFile = posix.join(spec.path, spec.file);
  const guard = spec.requireMountpoint ? `, only while ${spec.path} is a mountpoint` : '';
  return [
    `# Managed by homeostat for StorageKeepalive/${commentSafe(resourceName)}: edits are reverted, and the file is removed with the resource.`,
    `# Keeps the disk awake: every ${spec.interval}, ${spec.method} ${commentSafe(heartbeatFile)}${commentSafe(guard)}.`,
    `${scheduled.schedule} root ${escapeCronPercent(heartbeatShellCommand(spec))}`,
    '',
  ].join('\n');
}
