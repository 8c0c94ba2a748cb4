import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  cronFileName,
  cronFilePath,
  cronSchedule,
  escapeCronPercent,
  heartbeatShellCommand,
  renderCronFile,
  shellQuote,
} from './cron.js';
import type { StorageKeepaliveSpec } from './spec.js';
import { validateSpec } from './validate.js';

const base: StorageKeepaliveSpec = {
  host: 'pve',
  path: '/mnt/hdd',
  interval: '5m',
  method: 'write-fsync',
  mode: 'cron',
  requireMountpoint: true,
  file: '.homeostat-keepalive',
  slowThreshold: '2s',
};
const spec = (over: Partial<StorageKeepaliveSpec> = {}): StorageKeepaliveSpec => ({ ...base, ...over });

describe('cron file name', () => {
  it('is homeostat-<name> with everything outside [A-Za-z0-9_-] mapped to -', () => {
    expect(cronFileName('hdd')).toBe('homeostat-hdd');
    expect(cronFileName('media.hdd-2')).toBe('homeostat-media_hdd-2');
    expect(cronFileName('hdd.main')).not.toBe(cronFileName('hdd-main'));
    expect(cronFileName('a b/c~')).toBe('homeostat-a-b-c-');
    expect(cronFilePath('hdd')).toBe('/etc/cron.d/homeostat-hdd');
  });
});

describe('cronSchedule', () => {
  it.each([
    [60_000, '*/1 * * * *'],
    [5 * 60_000, '*/5 * * * *'],
    [30 * 60_000, '*/30 * * * *'],
    [60 * 60_000, '0 */1 * * *'],
    [6 * 3_600_000, '0 */6 * * *'],
    [24 * 3_600_000, '0 0 * * *'],
  ])('%d ms runs as %s', (ms, schedule) => {
    expect(cronSchedule(ms)).toEqual({ schedule });
  });

  it.each([0, 500, 30_000, 90_000, 7 * 60_000, 45 * 60_000, 90 * 60_000, 5 * 3_600_000, 48 * 3_600_000])(
    '%d ms cannot be expressed',
    (ms) => {
      expect(cronSchedule(ms)).toHaveProperty('problem');
    },
  );
});

describe('the cron line', () => {
  it('renders the exact file for write-fsync behind the mountpoint guard', () => {
    expect(renderCronFile('hdd', spec())).toBe(
      [
        '# Managed by homeostat for StorageKeepalive/hdd: edits are reverted, and the file is removed with the resource.',
        '# Keeps the disk awake: every 5m, write-fsync /mnt/hdd/.homeostat-keepalive, only while /mnt/hdd is a mountpoint.',
        "*/5 * * * * root mountpoint -q '/mnt/hdd' && date -u +\\%Y-\\%m-\\%dT\\%H:\\%M:\\%SZ > '/mnt/hdd/.homeostat-keepalive' && sync '/mnt/hdd/.homeostat-keepalive'",
        '',
      ].join('\n'),
    );
  });

  it('drops the guard without requireMountpoint and uses touch for method touch', () => {
    expect(heartbeatShellCommand(spec({ method: 'touch', requireMountpoint: false }))).toBe(
      "touch '/mnt/hdd/.homeostat-keepalive'",
    );
    expect(heartbeatShellCommand(spec({ method: 'touch' }))).toBe(
      "mountpoint -q '/mnt/hdd' && touch '/mnt/hdd/.homeostat-keepalive'",
    );
  });

  it('quotes paths so the shell sees exactly them, and escapes % for cron', () => {
    const tricky = spec({ path: "/mnt/it's $(id) 100%", file: 'beat;`x`' });
    const command = heartbeatShellCommand(tricky);
    expect(command).toContain(`'/mnt/it'\\''s $(id) 100%/beat;\`x\`'`);
    const line = renderCronFile('hdd', tricky).split('\n')[2]!;
    expect(line).not.toMatch(/[^\\]%/);
    expect(line).toContain('100\\%');
  });

  it('is valid sh once cron has unescaped it, and prints the path back verbatim', () => {
    const tricky = spec({ path: "/mnt/it's $(x) 100% \"q\"", file: 'f', requireMountpoint: false, method: 'touch' });
    const command = heartbeatShellCommand(tricky);
    // cron turns `\%` back into `%` before the shell runs the command:
    expect(escapeCronPercent(command).replaceAll('\\%', '%')).toBe(command);
    execFileSync('sh', ['-n', '-c', command]);
    const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(tricky.path)}`]).toString();
    expect(echoed).toBe(tricky.path);
    execFileSync('sh', ['-n', '-c', heartbeatShellCommand(spec())]);
  });

  it('refuses to render an interval cron cannot express', () => {
    expect(() => renderCronFile('hdd', spec({ interval: '7m' }))).toThrow(/spec.interval 7m/);
  });
});

describe('validateSpec', () => {
  it('accepts the defaults in both modes', () => {
    expect(validateSpec(spec())).toEqual([]);
    expect(validateSpec(spec({ mode: 'controller', interval: '90s' }))).toEqual([]);
  });

  it('names spec.interval for an interval cron cannot repeat, only in cron mode', () => {
    expect(validateSpec(spec({ interval: '90s' }))).toEqual([
      { reason: 'InvalidSpec', path: 'spec.interval', message: expect.stringContaining('whole minutes that divide 60') },
    ]);
    expect(validateSpec(spec({ interval: '0s', mode: 'controller' }))[0]?.path).toBe('spec.interval');
  });

  it('names each bad field', () => {
    const problems = validateSpec(spec({ path: 'mnt/hdd', file: 'a/b', slowThreshold: 'soon' }));
    expect(problems.map((p) => p.path)).toEqual(['spec.path', 'spec.file', 'spec.slowThreshold']);
    expect(validateSpec(spec({ file: '..' }))[0]?.path).toBe('spec.file');
    expect(validateSpec(spec({ path: '/mnt/a\nb' }))[0]?.path).toBe('spec.path');
    expect(validateSpec(spec({ path: '/mnt/a\\b' }))[0]?.path).toBe('spec.path');
    expect(validateSpec(spec({ path: '/mnt/a\\b', mode: 'controller' }))).toEqual([]);
  });
});
