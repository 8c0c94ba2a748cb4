/**
 * The behavioural suite every `Host` implementation must pass, run against LocalHost (temp root) and
 * SshHost (real sshd on 127.0.0.1, same temp-root layout). Call `hostBehaviour(setup)` inside a describe.
 * Each test works in its own fresh host directory `/case-N`. The root is resolved as RESOLVE_IN_ROOT: symlinks
 * inside it never lead outside (checked against a real folder beside the root), and the checked folder changes
 * refuse a symlink, another folder, or a folder outside the tree; so does the hardlink probe, which must still
 * tell EXDEV (a bind mount, same device id) apart.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isHostError, type Host, type WatchEvent } from '../../reconcilers/host/index.js';
import type { WatchHandle } from '../../reconcilers/host/watch-handle.js';
import { canMount, integration } from './integration.js';
import { waitUntil } from './wait.js';

const mounts = integration('mount', canMount(), 'bind mounts need root on Linux');

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

  it('round-trips binary content byte for byte, and a file of a few MiB', async () => {
    const { host, realRoot } = subject;
    const dir = await scratch();
    const every = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    await host.writeFileAtomic(`${dir}/bytes`, every, { expected: null });
    expect((await host.readFile(`${dir}/bytes`)).equals(every)).toBe(true);
    expect(readFileSync(`${realRoot}${dir}/bytes`).equals(every)).toBe(true);
    const large = randomBytes(3 * 1024 * 1024 + 7);
    await host.writeFileAtomic(`${dir}/large`, large, { expected: null });
    expect((await host.readFile(`${dir}/large`)).equals(large)).toBe(true);
    await host.writeFileAtomic(`${dir}/large`, 'small\n', { expected: large });
    expect((await host.readFile(`${dir}/large`)).toString()).toBe('small\n');
    await host.writeFileAtomic(`${dir}/empty`, '');
    expect((await host.readFile(`${dir}/empty`)).length).toBe(0);
    expect((await host.stat(`${dir}/empty`))?.size).toBe(0);
  });

  it('tells the failures apart: EISDIR, ENOTDIR, ENOTEMPTY, EEXIST, ENOENT', async () => {
    const { host } = subject;
    const dir = await scratch();
    await host.mkdir(`${dir}/folder/inner`, { recursive: true });
    await host.writeFileAtomic(`${dir}/file`, 'x');
    await rejectsWith(host.readFile(`${dir}/folder`), 'EISDIR');
    await rejectsWith(host.readdir(`${dir}/file`), 'ENOTDIR');
    await rejectsWith(host.unlink(`${dir}/folder`), 'EISDIR');
    await rejectsWith(host.rmdir(`${dir}/file`), 'ENOTDIR');
    await rejectsWith(host.rmdir(`${dir}/folder`), 'ENOTEMPTY');
    await host.mkdir(`${dir}/other/inner`, { recursive: true });
    await rejectsWith(host.rename(`${dir}/other`, `${dir}/folder`), 'ENOTEMPTY');
    await rejectsWith(host.mkdir(`${dir}/file`), 'EEXIST');
    await rejectsWith(host.mkdir(`${dir}/file/below`, { recursive: true }), 'ENOTDIR');
    await rejectsWith(host.chmod(`${dir}/missing`, 0o600), 'ENOENT');
    await rejectsWith(host.chown(`${dir}/missing`, 0, 0), 'ENOENT');
    await rejectsWith(host.link(`${dir}/missing`, `${dir}/link`), 'ENOENT');
    await rejectsWith(host.rename(`${dir}/missing`, `${dir}/moved`), 'ENOENT');
    await rejectsWith(host.readdir(`${dir}/missing`), 'ENOENT');
    expect(await host.isMountpoint(`${dir}/missing`)).toBe(false);
    expect(await host.isMountpoint(`${dir}/folder`)).toBe(false);
    expect(await host.readdir(`${dir}/folder/inner`)).toEqual([]);
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

  it('resolves symlinks inside the root: an absolute target starts at the root, `..` stops there, nothing outside is touched', async () => {
    const { host, realRoot } = subject;
    const dir = await scratch();
    // A real folder beside the root, with a private file: what a link inside the root must never reach.
    const outside = `${realRoot}-outside${dir}`;
    mkdirSync(`${outside}/etc`, { recursive: true });
    writeFileSync(`${outside}/victim`, 'secret\n', { mode: 0o600 });
    writeFileSync(`${outside}/etc/victim`, 'secret\n', { mode: 0o600 });
    try {
      const ln = async (target: string, at: string) => expect((await host.exec(['ln', '-s', target, host.resolvePath(at)])).code).toBe(0);
      await ln(`${outside}/etc`, `${dir}/etc`); // `etc -> /elsewhere/etc`, the real path outside
      await ln(outside, `${dir}/abs`);
      await ln(`../../../../../../../../..${outside}`, `${dir}/rel`); // climbs above the root: stops at it
      for (const link of [`${dir}/etc`, `${dir}/abs`, `${dir}/rel`]) {
        const victim = `${link}/victim`;
        await rejectsWith(host.writeFileAtomic(`${link}/app.conf`, 'x'), 'ENOENT');
        await rejectsWith(host.readFile(victim), 'ENOENT');
        expect(await host.readFileIfExists(victim)).toBeNull();
        expect(await host.stat(victim)).toBeNull();
        await rejectsWith(host.chmod(victim, 0o777), 'ENOENT');
        await rejectsWith(host.mkdir(`${link}/made`), 'ENOENT');
        await host.unlink(victim);
        expect(await host.realpath(victim)).toBeNull();
      }
      expect(readdirSync(outside).sort()).toEqual(['etc', 'victim']);
      expect(readdirSync(`${outside}/etc`)).toEqual(['victim']);
      for (const victim of [`${outside}/victim`, `${outside}/etc/victim`]) {
        expect([statSync(victim).mode & 0o7777, readFileSync(victim, 'utf8')]).toEqual([0o600, 'secret\n']);
      }

      // The same links resolve inside the root: an absolute target under it, `..` clamped at `/`.
      await host.mkdir(`${outside}/etc`, { recursive: true });
      await host.writeFileAtomic(`${dir}/etc/app.conf`, 'inside\n');
      expect(readFileSync(`${realRoot}${outside}/etc/app.conf`, 'utf8')).toBe('inside\n');
      expect((await host.readFile(`${dir}/abs/etc/app.conf`)).toString()).toBe('inside\n');
      expect(await host.realpath(`${dir}/rel/etc/app.conf`)).toBe(`${outside}/etc/app.conf`);
      expect(await host.realpath(`${dir}/etc`)).toBe(`${outside}/etc`);
      expect((await host.stat(`${dir}/rel`))?.type).toBe('directory');
      expect((await host.lstat(`${dir}/rel`))?.type).toBe('symlink');
      expect(await host.readdir(`${dir}/abs`)).toEqual(['etc']);
      expect(readdirSync(`${outside}/etc`)).toEqual(['victim']);
    } finally {
      rmSync(`${realRoot}-outside`, { recursive: true, force: true });
    }
  });

  it('checked folder changes act on the folder observed, through a descriptor, and only inside the tree', async () => {
    const { host, realRoot } = subject;
    const dir = await scratch();
    const tree = `${dir}/tree`;
    await host.mkdir(tree);
    await host.mkdir(`${dir}/outside`);
    const made = await host.mkdirChecked(`${tree}/a`, 0o700, { within: tree });
    expect([made.type, made.mode]).toEqual(['directory', 0o700]);
    const a = { within: tree, expect: { dev: made.dev, ino: made.ino } };
    await host.chownChecked(`${tree}/a`, 1234, 2345, a);
    await host.chmodChecked(`${tree}/a`, 0o2775, a);
    expect(await host.stat(`${tree}/a`)).toMatchObject({ mode: 0o2775, uid: 1234, gid: 2345 });
    await rejectsWith(host.mkdirChecked(`${tree}/a`, 0o700, { within: tree }), 'EEXIST');

    // Another folder where `a` was observed, then a symlink to it: refused, nothing changed.
    await host.rename(`${tree}/a`, `${tree}/a-old`);
    await host.mkdir(`${tree}/a`);
    await rejectsWith(host.chmodChecked(`${tree}/a`, 0o777, a), 'ECONFLICT');
    await host.rmdir(`${tree}/a`);
    expect((await host.exec(['ln', '-s', 'a-old', host.resolvePath(`${tree}/a`)])).code).toBe(0);
    const swapped = await rejectsWith(host.chmodChecked(`${tree}/a`, 0o777, a), 'ECONFLICT');
    expect(swapped.message).toContain('now a symlink');
    await rejectsWith(host.chownChecked(`${tree}/a`, 0, 0, a), 'ECONFLICT');
    await rejectsWith(host.rmdirChecked(`${tree}/a`, a), 'ECONFLICT');
    expect(await host.stat(`${tree}/a-old`)).toMatchObject({ mode: 0o2775, uid: 1234 });

    // A folder reached through a link that leaves the tree: refused (EESCAPE); nothing made there.
    expect((await host.exec(['ln', '-s', '../outside', host.resolvePath(`${tree}/out`)])).code).toBe(0);
    await host.mkdir(`${dir}/outside/x`, { mode: 0o755 });
    await rejectsWith(host.chmodChecked(`${tree}/out/x`, 0o777, { within: tree }), 'EESCAPE');
    await rejectsWith(host.mkdirChecked(`${tree}/out/new`, 0o700, { within: tree }), 'EESCAPE');
    expect(await host.readdir(`${dir}/outside`)).toEqual(['x']);
    expect((await host.stat(`${dir}/outside/x`))?.mode).toBe(0o755);
    expect(existsSync(`${realRoot}${dir}/outside/new`)).toBe(false);

    // rmdir only the folder expected; gone is fine.
    await host.rmdirChecked(`${tree}/a-old`, a);
    await host.rmdirChecked(`${tree}/a-old`, a);
    expect(await host.readdir(tree)).toEqual(['a', 'out']);
  });

  it('the hardlink probe and unlinkChecked act through the folders checked: names made are removed, nothing outside is touched', async () => {
    const { host, realRoot } = subject;
    const dir = await scratch();
    const tree = `${dir}/tree`;
    const name = '.probe-x';
    await host.mkdir(tree);
    await host.mkdir(`${dir}/outside/x`, { recursive: true });
    await host.writeFileAtomic(`${dir}/outside/${name}`, 'decoy');
    await host.writeFileAtomic(`${dir}/outside/x/${name}`, 'decoy');
    const root = await host.stat(tree);
    const source = { path: tree, check: { within: dir, expect: { dev: root!.dev, ino: root!.ino } } };
    const made = await Promise.all(['a', 'b'].map((n) => host.mkdirChecked(`${tree}/${n}`, 0o755, { within: tree })));
    const folder = (n: string, i: number) => ({ path: `${tree}/${n}`, check: { within: tree, expect: { dev: made[i]!.dev, ino: made[i]!.ino } } });
    const [a, b] = [folder('a', 0), folder('b', 1)];
    const outside = () => readdirSync(`${realRoot}${dir}/outside`).sort();
    const probeNames = async () => (await Promise.all([tree, a.path, b.path].map((p) => host.readdir(p)))).flat().filter((n) => n === name);

    // Every folder linked (the root itself and a repeat without a second link); a leftover removed first.
    await host.writeFileAtomic(`${a.path}/${name}`, 'leftover');
    expect(await host.probeHardlinks(source, [a, b, a, source], name)).toEqual(['linked', 'linked', 'linked', 'linked']);
    expect(await probeNames()).toEqual([]);

    // A folder swapped for a symlink to a folder outside the tree: refused before anything is made, anywhere.
    await host.rename(a.path, `${tree}/a-old`);
    expect((await host.exec(['ln', '-s', '../outside', host.resolvePath(a.path)])).code).toBe(0);
    const swapped = await rejectsWith(host.probeHardlinks(source, [b, a], name), 'ECONFLICT');
    expect(swapped.message).toContain(a.path);
    expect(swapped.message).toContain('now a symlink');
    await rejectsWith(host.unlinkChecked(a.path, name, a.check), 'ECONFLICT');
    // Reached through a link that leaves the tree, with no inode to expect: refused as outside (EESCAPE).
    await rejectsWith(host.probeHardlinks(source, [{ path: `${a.path}/x`, check: { within: tree } }], name), 'EESCAPE');
    await rejectsWith(host.unlinkChecked(`${a.path}/x`, name, { within: tree }), 'EESCAPE');
    expect(outside()).toEqual([name, 'x']);
    expect(readFileSync(`${realRoot}${dir}/outside/${name}`, 'utf8')).toBe('decoy');
    expect(readFileSync(`${realRoot}${dir}/outside/x/${name}`, 'utf8')).toBe('decoy');
    expect((await host.readdir(tree)).filter((n) => n === name)).toEqual([]);

    // unlinkChecked removes a name through the checked folder (gone is fine); a name must be one component.
    await host.writeFileAtomic(`${b.path}/${name}`, 'x');
    await host.unlinkChecked(b.path, name, b.check);
    await host.unlinkChecked(b.path, name, b.check);
    expect(await host.readdir(b.path)).toEqual([]);
    await rejectsWith(host.unlinkChecked(tree, `a/${name}`, source.check), 'EESCAPE');
    await rejectsWith(host.probeHardlinks(source, [b], '..'), 'EESCAPE');
  });

  mounts.it('the hardlink probe reports EXDEV for a bind mount inside the tree (same device id), and cleans up', async () => {
    const { host, realRoot } = subject;
    const dir = await scratch();
    const tree = `${dir}/tree`;
    await host.mkdir(`${tree}/bound`, { recursive: true });
    await host.mkdir(`${tree}/plain`);
    await host.mkdir(`${dir}/elsewhere`);
    execFileSync('mount', ['--bind', `${realRoot}${dir}/elsewhere`, `${realRoot}${tree}/bound`]);
    try {
      const [root, bound, plain] = await Promise.all([tree, `${tree}/bound`, `${tree}/plain`].map((p) => host.stat(p)));
      expect(bound!.dev).toBe(root!.dev);
      const checked = (path: string, st: typeof root, within: string) => ({ path, check: { within, expect: { dev: st!.dev, ino: st!.ino } } });
      const outcomes = await host.probeHardlinks(checked(tree, root, dir), [checked(`${tree}/bound`, bound, tree), checked(`${tree}/plain`, plain, tree)], '.probe-x');
      expect(outcomes).toEqual(['EXDEV', 'linked']);
      for (const p of [tree, `${tree}/bound`, `${tree}/plain`]) expect(await host.readdir(p)).not.toContain('.probe-x');
    } finally {
      execFileSync('umount', [`${realRoot}${tree}/bound`]);
    }
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
