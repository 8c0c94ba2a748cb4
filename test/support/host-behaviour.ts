/**
 * The behavioural suite every `Host` implementation must pass, run against LocalHost (temp root) and
 * SshHost (real sshd on 127.0.0.1, same temp-root layout). Call `hostBehaviour(setup)` inside a describe.
 * Each test works in its own fresh host directory `/case-N`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isHostError, type Host, type WatchEvent } from '../../reconcilers/host/index.js';
import type { WatchHandle } from '../../reconcilers/host/watch-handle.js';
import { waitUntil } from './wait.js';

export interface HostUnderTest {
  host: Host;
  /** Real folder the host's `root` maps to (on this machine). */
  realRoot: string;
  cleanup(): Promise<void>;
}

export function hostBehaviour(setup: () => Promise<HostUnderTest>): void {
  let subject: HostUnderTest;
  let counter = 0;
  beforeAll(async () => {
    subject = await setup();
  });
  afterAll(async () => {
    await subject?.cleanup();
  });
  /** A fresh, empty host directory for one test. */
  const scratch = async (): Promise<string> => {
    const dir = `/case-${++counter}-${randomBytes(3).toString('hex')}`;
    await subject.host.mkdir(dir);
    return dir;
  };
  const rejectsWith = async (promise: Promise<unknown>, code: string): Promise<Error> => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `expected rejection with ${code}`).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe(code);
    return err as Error;
  };

  it('writes atomically with compare-and-swap; a conflict leaves the file untouched and no temp files', async () => {
    const { host } = subject;
    const dir = await scratch();
    const file = `${dir}/config.conf`;
    await host.writeFileAtomic(file, 'one\n', { expected: null });
    expect((await host.readFile(file)).toString()).toBe('one\n');
    await rejectsWith(host.writeFileAtomic(file, 'two\n', { expected: null }), 'ECONFLICT');
    await rejectsWith(host.writeFileAtomic(file, 'two\n', { expected: Buffer.from('stale\n') }), 'ECONFLICT');
    await rejectsWith(host.writeFileAtomic(`${dir}/absent`, 'x', { expected: Buffer.from('') }), 'ECONFLICT');
    expect((await host.readFile(file)).toString()).toBe('one\n');
    await host.writeFileAtomic(file, 'two\n', { expected: Buffer.from('one\n') });
    await host.writeFileAtomic(file, Buffer.from('three\n'));
    expect((await host.readFile(file)).toString()).toBe('three\n');
    expect(await host.readdir(dir)).toEqual(['config.conf']);
    expect(await host.readFileIfExists(`${dir}/absent`)).toBeNull();
  });

  it('keeps the existing mode and owner, applies explicit ones, new files default to 0644', async () => {
    const { host } = subject;
    const dir = await scratch();
    const file = `${dir}/owned`;
    await host.writeFileAtomic(file, 'a');
    expect((await host.stat(file))?.mode).toBe(0o644);
    await host.chmod(file, 0o640);
    await host.chown(file, 1234, 2345);
    await host.writeFileAtomic(file, 'b');
    let st = await host.stat(file);
    expect([st?.mode, st?.uid, st?.gid]).toEqual([0o640, 1234, 2345]);
    await host.writeFileAtomic(file, 'c', { mode: 0o600, uid: 0, gid: 0 });
    st = await host.stat(file);
    expect([st?.mode, st?.uid, st?.gid, st?.size]).toEqual([0o600, 0, 0, 1]);
    // keepDefaultMode (pmxcfs): no chmod/chown at all, the file gets the creation default (0666 & ~umask).
    await host.chown(file, 1234, 2345);
    await host.writeFileAtomic(file, 'd', { keepDefaultMode: true });
    st = await host.stat(file);
    expect([st?.mode, st?.uid]).toEqual([0o666 & ~process.umask(), 0]);
  });

  it('stats a char device with its major:minor, and tells file types apart', async () => {
    const { host } = subject;
    const dir = await scratch();
    const dev = `${dir}/null`;
    const made = await host.exec(['mknod', host.resolvePath(dev), 'c', '1', '3']);
    expect(made.code, made.stderr).toBe(0);
    const st = await host.stat(dev);
    expect(st).toMatchObject({ type: 'char', rdevMajor: 1, rdevMinor: 3 });
    await host.writeFileAtomic(`${dir}/plain`, 'x');
    const exec = await host.exec(['ln', '-s', 'plain', host.resolvePath(`${dir}/link`)]);
    expect(exec.code).toBe(0);
    expect((await host.lstat(`${dir}/link`))?.type).toBe('symlink');
    expect((await host.stat(`${dir}/link`))?.type).toBe('file');
    expect((await host.stat(dir))?.type).toBe('directory');
    expect(await host.stat(`${dir}/missing`)).toBeNull();
    expect(await host.lstat(`${dir}/missing/deeper`)).toBeNull();
    const [a, b] = await Promise.all([host.stat(`${dir}/plain`), host.stat(dev)]);
    expect(a?.dev).toBe(b?.dev);
    expect(a?.mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('mkdir, readdir, link, rename, unlink and rmdir', async () => {
    const { host } = subject;
    const dir = await scratch();
    await host.mkdir(`${dir}/a/b/c`, { recursive: true });
    await host.mkdir(`${dir}/a/b/c`, { recursive: true });
    await rejectsWith(host.mkdir(`${dir}/a`), 'EEXIST');
    await rejectsWith(host.mkdir(`${dir}/x/y`), 'ENOENT');
    await host.writeFileAtomic(`${dir}/a/zeta`, 'z');
    await host.writeFileAtomic(`${dir}/a/alpha`, 'a');
    expect(await host.readdir(`${dir}/a`)).toEqual(['alpha', 'b', 'zeta']);
    await host.link(`${dir}/a/alpha`, `${dir}/a/alpha-link`);
    const [orig, linked] = await Promise.all([host.stat(`${dir}/a/alpha`), host.stat(`${dir}/a/alpha-link`)]);
    expect(linked?.ino).toBe(orig?.ino);
    expect(linked?.nlink).toBe(2);
    await rejectsWith(host.link(`${dir}/a/alpha`, `${dir}/a/zeta`), 'EEXIST');
    await host.rename(`${dir}/a/alpha-link`, `${dir}/a/renamed`);
    expect(await host.readdir(`${dir}/a`)).toEqual(['alpha', 'b', 'renamed', 'zeta']);
    await host.rename(`${dir}/a/renamed`, `${dir}/a/zeta`);
    expect((await host.readFile(`${dir}/a/zeta`)).toString()).toBe('a');
    await host.unlink(`${dir}/a/zeta`);
    await host.unlink(`${dir}/a/zeta`);
    await rejectsWith(host.rmdir(`${dir}/a/b`), 'ENOTEMPTY');
    await host.rmdir(`${dir}/a/b/c`);
    await host.rmdir(`${dir}/a/b/c`);
    await host.rmdir(`${dir}/a/b`);
    expect(await host.readdir(`${dir}/a`)).toEqual(['alpha']);
    await rejectsWith(host.readdir(`${dir}/nope`), 'ENOENT');
  });

  it('names the host path (not the real one) in errors', async () => {
    const { host, realRoot } = subject;
    const dir = await scratch();
    const err = await rejectsWith(host.readFile(`${dir}/missing.txt`), 'ENOENT');
    expect(err.message).toContain(`${dir}/missing.txt`);
    expect(err.message).not.toContain(realRoot);
    expect(isHostError(err, 'ENOENT')).toBe(true);
  });

  it('confines paths to the root', async () => {
    const { host, realRoot } = subject;
    await rejectsWith(host.readFile('/../etc/passwd'), 'EESCAPE');
    await rejectsWith(host.stat('/a/../../etc/passwd'), 'EESCAPE');
    const escape = '/../etc/homeostat-must-not-exist';
    for (const attempt of [
      () => host.writeFileAtomic(escape, 'x'),
      () => host.readFileIfExists(escape),
      () => host.lstat(escape),
      () => host.isMountpoint(escape),
      () => host.mkdir(escape),
      () => host.readdir('/..'),
      () => host.chown(escape, 0, 0),
      () => host.chmod(escape, 0o600),
      () => host.link('/x', escape),
      () => host.rename(escape, '/x'),
      () => host.unlink(escape),
      () => host.rmdir(escape),
      () => host.readFile('relative/path'),
    ]) {
      await rejectsWith(attempt(), 'EESCAPE');
    }
    expect(() => host.resolvePath('/../../x')).toThrow(/escapes/);
    expect(host.resolvePath('/a/./b/../c')).toBe(`${realRoot}/a/c`);
    expect(host.resolvePath('/')).toBe(realRoot);
    expect(await host.isMountpoint('/')).toBe(true);
  });

  it('exec round-trips arguments with spaces, quotes, newlines and shell syntax', async () => {
    const { host } = subject;
    const args = ['plain', 'with space', "it's", '"double"', 'line\nbreak', '$HOME `id` $(id)', '', '*', '\\', '-n', ';|&<>'];
    const result = await host.exec(['printf', '%s\\0', ...args]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
    const echoed = await host.exec(['cat'], { input: 'from stdin\n' });
    expect(echoed.stdout).toBe('from stdin\n');
    const failing = await host.exec(['sh', '-c', 'echo oops >&2; exit 3']);
    expect([failing.code, failing.stderr]).toEqual([3, 'oops\n']);
    expect((await host.exec(['homeostat-no-such-program'])).code).toBe(127);
  });

  it('exec times out with ETIMEDOUT and can be aborted', async () => {
    const { host } = subject;
    const started = Date.now();
    await rejectsWith(host.exec(['sleep', '10'], { timeoutMs: 300 }), 'ETIMEDOUT');
    expect(Date.now() - started).toBeLessThan(3000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await rejectsWith(host.exec(['sleep', '10'], { signal: controller.signal }), 'EABORTED');
  });

  it('watch sees a file created, modified and deleted, and entries inside a watched directory', async () => {
    const { host } = subject;
    const dir = await scratch();
    const file = `${dir}/watched.conf`;
    const events: WatchEvent[] = [];
    const handle = host.watch([file, dir, `${dir}/later/deep.conf`], (e) => events.push(e)) as WatchHandle;
    try {
      await handle.ready;
      const seen = (path: string, from: number) => () => events.slice(from).some((e) => e.path === path);
      let mark = events.length;
      await host.writeFileAtomic(file, 'created');
      await waitUntil('create event', seen(file, mark), 1500);
      mark = events.length;
      await host.exec(['sh', '-c', 'printf more >> "$1"', 'sh', host.resolvePath(file)]);
      await waitUntil('modify event', seen(file, mark), 1500);
      mark = events.length;
      await host.unlink(file);
      await waitUntil('delete event', seen(file, mark), 1500);
      mark = events.length;
      await host.writeFileAtomic(`${dir}/other`, 'x');
      await waitUntil('entry event in watched dir', seen(`${dir}/other`, mark), 1500);
      mark = events.length;
      await host.mkdir(`${dir}/later`);
      await waitUntil('ancestor event for a missing path', seen(`${dir}/later/deep.conf`, mark), 1500);
      await new Promise((r) => setTimeout(r, 300)); // let the watch re-arm on the new directory
      mark = events.length;
      await host.writeFileAtomic(`${dir}/later/deep.conf`, 'x');
      await waitUntil('event for a path that appeared later', seen(`${dir}/later/deep.conf`, mark), 2000);
    } finally {
      handle.close();
    }
  });
}
