/**
 * The batched stat script, run locally with /bin/sh: results for lstat and stat groups, odd names, missing
 * paths, and agreement with node's own stat.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHost } from './local.js';
import { STAT_SCRIPT, StatBatcher } from './ssh-stat.js';

const run = async (args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', STAT_SCRIPT, 'sh', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('StatBatcher with the stat script', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homeostat-stat-'));
    await writeFile(join(dir, 'a file with spaces\nand newline'), 'hello');
    await symlink('a file with spaces\nand newline', join(dir, 'link'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('answers calls from one tick with one exec, matching node stat', async () => {
    const batcher = new StatBatcher('t', run);
    const odd = join(dir, 'a file with spaces\nand newline');
    const [file, link, linkFollowed, missing, dev, again] = await Promise.all([
      batcher.stat(odd, '/odd', false),
      batcher.stat(join(dir, 'link'), '/link', false),
      batcher.stat(join(dir, 'link'), '/link', true),
      batcher.stat(join(dir, 'missing'), '/missing', true),
      batcher.stat('/dev/null', '/dev/null', true),
      batcher.stat(odd, '/odd', false),
    ]);
    expect(batcher.execCount).toBe(1);
    const local = await new LocalHost().stat(odd);
    // Times as floats of milliseconds: GNU stat prints nanoseconds, node rounds them its own way.
    expect(file).toEqual({ ...local, mtimeMs: expect.closeTo(local!.mtimeMs, 0), ctimeMs: expect.closeTo(local!.ctimeMs!, 0) });
    expect(again).toEqual(file);
    expect(link?.type).toBe('symlink');
    expect(linkFollowed?.ino).toBe(file?.ino);
    expect(missing).toBeNull();
    expect(dev).toMatchObject({ type: 'char', rdevMajor: 1, rdevMinor: 3 });
  });
});
