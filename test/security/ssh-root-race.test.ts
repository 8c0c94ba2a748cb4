/**
 * A real racer against an SSH host's sandbox `root`: a separate process (Perl, renameat2 RENAME_EXCHANGE through
 * syscall) swaps a folder inside the root (`/data/media`) with a symlink to a folder outside the root (its real,
 * absolute path) in a tight loop, while homeostat writes, reads, chmods, chowns, mkdirs, unlinks and rmdirs
 * through that folder over SSH (a real sshd on 127.0.0.1), 200 rounds. Inside the root that symlink means
 * `ROOT/<that path>` (RESOLVE_IN_ROOT), which does not exist. Afterwards nothing outside the root was read,
 * created, changed or removed: the private 0600 file there keeps its mode, owner and content, its neighbours are
 * all there, nothing was added, and an inotify watch on the folder (every event, opens and reads included) saw
 * nothing. When the helper only resolved the path and SFTP looked the result up again (before this test), the
 * first rounds wrote into, chmod'ed and read the outside folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { isHostError, SshHost } from '../../reconcilers/host/index.js';
import { integration } from '../support/integration.js';
import { sshdAvailable, startSshd, type TestSshd, sshLoginOf } from '../support/sshd.js';

const ROUNDS = 200;
/** renameat2(2) on this architecture. */
const RENAMEAT2: number | undefined = ({ x64: 316, arm64: 276 } as Record<string, number>)[process.arch];
const ssh = integration(
  'sshd, renameat2 and inotifywait',
  sshdAvailable() && RENAMEAT2 !== undefined && existsSync('/usr/bin/inotifywait'),
  'needs /usr/sbin/sshd, ssh-keygen, root (the uid-0 test user), Linux x86_64/arm64 and inotify-tools',
);

/**
 * `perl -e RACER DIR SYSCALL SECONDS`: exchanges `media` and `swap` in DIR (renameat2 RENAME_EXCHANGE) as fast as
 * it can until killed or SECONDS pass; prints `ready`, then how many swaps it made.
 */
const RACER = String.raw`
use strict; use warnings;
my ($dir, $nr, $seconds) = @ARGV;
chdir $dir or die "chdir: $!";
my ($x, $y) = ('media', 'swap');
my $n = 0; my $end = time + $seconds;
$SIG{TERM} = sub { print "$n\n"; exit 0 };
$| = 1; print "ready\n";
while (time < $end) { syscall($nr, -100, $x, -100, $y, 2) == 0 or die "renameat2: $!"; $n++; }
print "$n\n";
`;

/** A child process whose stdout/stderr are collected; `started` resolves once stdout or stderr shows `ready`. */
function collect(child: ChildProcess, ready: RegExp): { out: () => string; err: () => string; started: Promise<void>; exited: Promise<void> } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (ready.test(out) || ready.test(err)) (clearInterval(check), resolve());
      else if (child.exitCode !== null) (clearInterval(check), reject(new Error(`${String(child.spawnfile)} did not start: ${err}`)));
    }, 10);
  });
  return { out: () => out, err: () => err, started, exited };
}

interface Scene {
  /** The real sandbox root. */
  root: string;
  /** The folder outside the root the symlink points at (by its real path). */
  outside: string;
  /** Stops the racer; how many swaps it made. */
  swaps(): Promise<number>;
  /** Stops the inotify watch; every event it saw in the outside folder. */
  outsideEvents(): Promise<string[]>;
  cleanup(): void;
}

/**
 * `DIR/root/data/media` (a folder holding `victim`, `decoy` and `emptydir`, as the outside folder does) and
 * `DIR/root/data/swap` (a symlink to `DIR/outside`), the outside folder watched, and the racer running.
 */
async function scene(): Promise<Scene> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-sshroot-race-'));
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  for (const folder of [join(root, 'data/media'), outside]) {
    mkdirSync(join(folder, 'emptydir'), { recursive: true });
    writeFileSync(join(folder, 'decoy'), 'decoy\n');
  }
  writeFileSync(join(root, 'data/media/victim'), 'inside\n', { mode: 0o644 });
  writeFileSync(join(outside, 'victim'), 'private\n', { mode: 0o600 });
  symlinkSync(outside, join(root, 'data/swap'));
  const children: ChildProcess[] = [];
  try {
    const watcher = spawn('inotifywait', ['-m', '--format', '%e %f', outside], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(watcher);
    const watched = collect(watcher, /Watches established/);
    await watched.started;
    const racer = spawn('perl', ['-e', RACER, join(root, 'data'), String(RENAMEAT2), '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(racer);
    const raced = collect(racer, /^ready/);
    await raced.started;
    return {
      root,
      outside,
      async swaps() {
        if (racer.exitCode === null) racer.kill('SIGTERM');
        await raced.exited;
        if (raced.err().trim() !== '') throw new Error(`racer failed: ${raced.err()}`);
        return Number(raced.out().split('\n')[1]);
      },
      async outsideEvents() {
        await new Promise((resolve) => setTimeout(resolve, 200)); // let the last events arrive
        if (watcher.exitCode === null) watcher.kill('SIGTERM');
        await watched.exited;
        return watched.out().split('\n').filter((l) => l !== '');
      },
      cleanup() {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** What the rounds saw: operations that acted (inside the root), and the errors by code. */
interface Tally {
  acted: number;
  read: string[];
  errors: Map<string, number>;
  /** One message per error code. */
  samples: Map<string, string>;
}

/** One round through `/data/media`: every kind of change, a read and a stat at once, then a rename and a link. */
async function round(host: SshHost, i: number, tally: Tally): Promise<void> {
  const folder = '/data/media';
  const outcomes = await Promise.allSettled([
    host.writeFileAtomic(`${folder}/app.conf`, `round ${i}\n`),
    host.writeFileAtomic(`${folder}/victim`, 'inside\n', { expected: Buffer.from('inside\n'), mode: 0o644 }),
    host.readFile(`${folder}/victim`).then((b) => tally.read.push(b.toString())),
    host.stat(`${folder}/victim`),
    host.chmod(`${folder}/victim`, 0o666),
    host.chown(`${folder}/victim`, 1234, 1234),
    host.mkdir(`${folder}/made-${i}`),
    host.unlink(`${folder}/decoy`),
    host.rmdir(`${folder}/emptydir`),
  ]);
  outcomes.push(
    ...(await Promise.allSettled([host.rename(`${folder}/app.conf`, `${folder}/app.conf.old`), host.link(`${folder}/victim`, `${folder}/linked-${i}`)])),
  );
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') tally.acted++;
    else {
      const code = isHostError(outcome.reason) ? outcome.reason.code : String(outcome.reason);
      tally.errors.set(code, (tally.errors.get(code) ?? 0) + 1);
      if (!tally.samples.has(code)) tally.samples.set(code, String(outcome.reason));
    }
  }
}

let server: TestSshd | undefined;

ssh.describe('a symlink race against an SSH host sandbox root', () => {
  beforeAll(async () => {
    server = await startSshd();
  });
  afterAll(async () => {
    await server?.stop();
  });

  ssh.it(`${ROUNDS} rounds of writes, reads, chmods, chowns, mkdirs and removals through a folder a racer keeps swapping with a symlink out of the root: nothing outside is touched`, async () => {
    const s = await scene();
    const host = new SshHost({
      name: 'race-root',
      ...sshLoginOf(server!),
      operationTimeoutMs: 20_000,
      root: s.root,
    });
    try {
      const tally: Tally = { acted: 0, read: [], errors: new Map(), samples: new Map() };
      for (let i = 0; i < ROUNDS; i++) await round(host, i, tally);
      const swaps = await s.swaps();
      const events = await s.outsideEvents();
      console.log(`ssh root race: ${swaps} swaps; ${tally.acted} operations acted inside the root, refused: ${JSON.stringify(Object.fromEntries(tally.errors))}; for example ${JSON.stringify(Object.fromEntries(tally.samples))}`);

      // Nothing outside the root was read, created, changed or removed (all of it in one comparison, so that a
      // failure shows everything that leaked).
      const victim = statSync(join(s.outside, 'victim'), { throwIfNoEntry: false });
      const emptydir = join(s.outside, 'emptydir');
      expect({
        eventCount: events.length,
        someEvents: events.slice(0, 10),
        entries: readdirSync(s.outside).sort(),
        emptydir: existsSync(emptydir) ? readdirSync(emptydir) : 'removed',
        victim: victim && { mode: (victim.mode & 0o7777).toString(8), uid: victim.uid, gid: victim.gid, content: readFileSync(join(s.outside, 'victim'), 'utf8') },
        readFromOutside: tally.read.filter((content) => content !== 'inside\n').length,
      }).toEqual({
        eventCount: 0,
        someEvents: [],
        entries: ['decoy', 'emptydir', 'victim'],
        emptydir: [],
        victim: { mode: '600', uid: 0, gid: 0, content: 'private\n' },
        readFromOutside: 0,
      });

      // The race really ran: the folder was swapped, operations acted through it, and others met the symlink
      // (resolved inside the root, where its target does not exist: ENOENT) or, rarely, a folder that kept
      // changing between a directory and a symlink while it was opened (ENOTDIR).
      expect(swaps).toBeGreaterThan(1000);
      expect(tally.read.length).toBeGreaterThan(10);
      expect(tally.acted).toBeGreaterThan(ROUNDS);
      expect(tally.errors.get('ENOENT') ?? 0).toBeGreaterThan(ROUNDS);
      expect([...tally.samples].filter(([code]) => !['ENOENT', 'ENOTDIR'].includes(code))).toEqual([]);
      // What acted did so inside the root, in the folder swapped back and forth (under either name now).
      const real = ['media', 'swap'].map((n) => join(s.root, 'data', n)).find((p) => lstatSync(p).isDirectory())!;
      expect(readdirSync(real).filter((n) => n.startsWith('made-')).length).toBeGreaterThan(10);
      expect(statSync(join(real, 'victim'))).toMatchObject({ uid: 1234, gid: 1234 });
      expect(readdirSync(real)).toContain('app.conf.old');
    } finally {
      await host.close();
      s.cleanup();
    }
  }, 300_000);
});
