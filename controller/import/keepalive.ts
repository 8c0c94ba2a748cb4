/**
 * StorageKeepalive from cron lines, pure: a line that touches a file at a steady interval
 * (`*\/5 * * * * root touch /mnt/hdd/.keepalive`, optionally behind `mountpoint -q /mnt/hdd &&`) becomes a
 * controller-mode resource that touches the same file as often. Controller mode, not cron mode: cron mode would
 * write a second cron file beside the person's line, while the controller's heartbeat is due only when the file
 * is older than the interval, which the running cron line never lets happen, so `diff` stays empty.
 */
import { posix } from 'node:path';
import { durationMs } from '../../reconcilers/core/duration.js';
import { cronSchedule } from '../../reconcilers/storage-keepalive/index.js';
import { manifestName, type ImportedDocument } from './document.js';

/** One cron line with a schedule, as read: its number in the file, its text, the schedule and the command. */
export interface CronLine {
  lineNo: number;
  text: string;
  schedule: string;
  command: string;
}

/** The five schedule fields, the user (system crontabs only) and the command of every job line. */
export function cronLines(text: string, hasUserField: boolean): CronLine[] {
  const out: CronLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(trimmed) || trimmed.startsWith('@')) return;
    const fields = trimmed.split(/\s+/);
    const head = hasUserField ? 6 : 5;
    if (fields.length <= head) return;
    out.push({ lineNo: i + 1, text: line, schedule: fields.slice(0, 5).join(' '), command: fields.slice(head).join(' ') });
  });
  return out;
}

/** Intervals StorageKeepalive accepts that cron can carry: the one whose schedule (cron.ts's rule) is this one. */
const INTERVALS = [
  ...[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30].map((m) => `${m}m`),
  ...[1, 2, 3, 4, 6, 8, 12, 24].map((h) => `${h}h`),
];

/** The interval a schedule repeats at, or `null` when it is not a steady one. `* * * * *` and `0 * * * *` included. */
export function intervalOfSchedule(schedule: string): string | null {
  const normal = schedule === '* * * * *' ? '*/1 * * * *' : schedule === '0 * * * *' ? '0 */1 * * *' : schedule;
  for (const interval of INTERVALS) {
    const rendered = cronSchedule(durationMs(interval));
    if ('schedule' in rendered && rendered.schedule === normal) return interval;
  }
  return null;
}

const unquote = (word: string) => word.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
const isTouch = (word: string) => word === 'touch' || word.endsWith('/touch');
const isMountpoint = (word: string) => word === 'mountpoint' || word.endsWith('/mountpoint');

/** The file a command touches, and the mountpoint it checks first, or `null` for any other command. */
export function touchedFile(command: string): { file: string; guard: string | null } | null {
  const words = command.split(/\s+/).map(unquote);
  let guard: string | null = null;
  let rest = words;
  if (isMountpoint(words[0] ?? '') && words[1] === '-q' && words[3] === '&&') {
    guard = words[2]!;
    rest = words.slice(4);
  }
  if (!isTouch(rest[0] ?? '')) return null;
  const args = rest.slice(1).filter((w) => !/^-[acm]+$/.test(w));
  if (args.length !== 1 || !posix.isAbsolute(args[0]!) || /[\s'"%$`\\;&|<>*?]/.test(args[0]!)) return null;
  const file = posix.normalize(args[0]!);
  if (guard !== null && posix.dirname(file) !== posix.normalize(guard)) return null;
  return { file, guard };
}

/** The StorageKeepalive a cron line describes, or `null` when it is not a keepalive line homeostat can carry. */
export function keepaliveDocument(host: string, source: string, line: CronLine): ImportedDocument | null {
  const touched = touchedFile(line.command);
  if (!touched) return null;
  const interval = intervalOfSchedule(line.schedule);
  if (interval === null) return null;
  const path = posix.dirname(touched.file);
  if (path === '/') return null;
  return {
    kind: 'StorageKeepalive',
    name: manifestName(`${host}-keepalive${path.replaceAll('/', '-')}`),
    spec: { host, path, file: posix.basename(touched.file), interval, method: 'touch', mode: 'controller', requireMountpoint: touched.guard !== null },
    comments: [
      `Imported from ${host}:${source}, line ${line.lineNo}:`,
      `  ${line.text.trim()}`,
      'Controller mode: homeostat touches the file when it is older than the interval, which it never is while this',
      'line runs. Remove the line once homeostat keeps the disk awake, or keep both: the effect is the same.',
    ],
  };
}

/** A cron line that touches a file but cannot be carried (an uneven schedule, a path cron.d could not hold). */
export function isKeepaliveLike(line: CronLine): boolean {
  return /(^|[\s/])touch\s/.test(line.command);
}
