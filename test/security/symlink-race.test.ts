/**
 * A real racer against UnifiedNamespace: a separate process (Perl, renameat2 RENAME_EXCHANGE through syscall)
 * swaps a declared folder and a symlink to a private file outside the tree in a tight loop, and keeps making the
 * folder drift (fchmod 0700, fchown 0:0 through its own descriptor) so that every observation that sees the
 * folder plans a chmod and a chown. homeostat then runs observe → plan → apply 200 times, on this machine and
 * over SSH (a real sshd on 127.0.0.1, no sandbox root: the paths are the machine's own). Afterwards the outside
 * file's mode, owner and content are exactly what they were. With path-based chmod (the code before issue 9)
 * the file became 2775 within a few runs.
 * The hardlink probe gets the same racer, swapping the folder with a symlink to a folder outside the tree that
 * holds a file named like the probe's: 200 probes later nothing there was created, changed or removed (an
 * inotify watch on it saw no event at all). With the path-based probe the outside file was unlinked at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { isStalledError, RetryableError } from '../../reconcilers/core/contract.js';
import { isHostError, LocalHost, SshHost, type Host } from '../../reconcilers/host/index.js';
import { unifiedNamespaceReconciler as reconciler } from '../../reconcilers/unified-namespace/index.js';
import type { UnifiedNamespaceChange, UnifiedNamespaceObserved } from '../../reconcilers/unified-namespace/model.js';
import { hardlinkProbe, probeFileName } from '../../reconcilers/unified-namespace/probe.js';
import { canMount, integration } from '../support/integration.js';
import { sshdAvailable, startSshd, type TestSshd, sshLoginOf } from '../support/sshd.js';
import { MemoryState, resourceOf } from '../storage-keepalive/context.js';
import { nsSpec } from '../unified-namespace/fixtures.js';

const RUNS = 200;
/** renameat2(2) on this architecture. */
const RENAMEAT2: number | undefined = ({ x64: 316, arm64: 276 } as Record<string, number>)[process.arch];
const root = process.getuid?.() === 0;
const local = integration('root and renameat2', root && RENAMEAT2 !== undefined && canMount(), 'needs root (chown to other users) on Linux x86_64/arm64');
const ssh = integration('sshd', sshdAvailable() && RENAMEAT2 !== undefined, 'needs /usr/sbin/sshd, ssh-keygen and root (to create the uid-0 test user)');

/**
 * The racer: `perl -e RACER DIR SYSCALL SECONDS`. Holds the real folder open, makes it drift through that handle
 * (never through a path), and exchanges `media` with `swap` (a symlink to ../secret) as fast as it can until it
 * is killed or SECONDS pass. Prints how many swaps it made.
 */
const RACER = String.raw`
use strict; use warnings; use Fcntl qw(O_RDONLY O_DIRECTORY);
my ($dir, $nr, $seconds) = @ARGV;
chdir $dir or die "chdir: $!";
sysopen(my $h, 'media', O_RDONLY | O_DIRECTORY) or die "open media: $!";
my ($a, $b) = ('media', 'swap');
my $n = 0; my $end = time + $seconds;
$SIG{TERM} = sub { print "$n\n"; exit 0 };
print "ready\n"; $| = 1;
while (time < $end) {
  chmod 0700, $h; chown 0, 0, $h;
  syscall($nr, -100, $a, -100, $b, 2) == 0 or die "renameat2: $!";
  $n++;
}
print "$n\n";
`;

interface Scene {
  dir: string;
  secret: string;
  /** `DIR/outside`: a folder beside the tree holding a private file named like the probe's. */
  outside: string;
  /** Names of everything inotify saw happen in `outside` (nothing is expected). */
  outsideEvents: string[];
  racer: ChildProcess;
  swaps(): Promise<number>;
  cleanup(): void;
}

/** The name of the probe's file for the resource `race`, and of the private file outside the tree. */
const PROBE_NAME = probeFileName('race');

/**
 * The tree `DIR/data` with the declared folder `media`, the outside file `DIR/secret`, the outside folder
 * `DIR/outside` (watched), and the racer running: it swaps `media` with `swap`, a symlink to `swapTo`.
 */
async function scene(swapTo: '../secret' | '../outside' = '../secret'): Promise<Scene> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-race-'));
  mkdirSync(join(dir, 'data/media'), { recursive: true });
  chmodSync(join(dir, 'data'), 0o2775);
  chownSync(join(dir, 'data'), 1000, 1000);
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'private\n', { mode: 0o600 });
  chmodSync(secret, 0o600);
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, PROBE_NAME), 'private\n', { mode: 0o600 });
  chmodSync(join(outside, PROBE_NAME), 0o600);
  const outsideEvents: string[] = [];
  const watcher: FSWatcher = watch(outside, (_event, name) => outsideEvents.push(String(name)));
  symlinkSync(swapTo, join(dir, 'data/swap'));
  const racer = spawn('perl', ['-e', RACER, join(dir, 'data'), String(RENAMEAT2), '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  racer.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  racer.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => racer.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (out.startsWith('ready')) (clearInterval(check), resolve());
      if (racer.exitCode !== null) (clearInterval(check), reject(new Error(`racer did not start: ${err}`)));
    }, 10);
  });
  return {
    dir,
    secret,
    outside,
    outsideEvents,
    racer,
    async swaps() {
      if (racer.exitCode === null) racer.kill('SIGTERM');
      await exited;
      if (err.trim() !== '') throw new Error(`racer failed: ${err}`);
      return Number(out.split('\n')[1]);
    },
    cleanup() {
      watcher.close();
      if (racer.exitCode === null && racer.signalCode === null) racer.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** 200 × observe → plan → apply while the racer runs; counts the runs that planned a chmod and those refused. */
async function applyUnderRace(host: Host, s: Scene): Promise<{ planned: number; refused: number; stalled: number }> {
  const spec = nsSpec({ host: host.name, root: join(s.dir, 'data'), directories: ['media'], requireSameFilesystem: false });
  const resource = resourceOf('UnifiedNamespace', 'race', spec);
  const state = new MemoryState();
  let planned = 0;
  let refused = 0;
  let stalled = 0;
  for (let i = 0; i < RUNS; i++) {
    const ctx = state.context(resource, host, Date.now());
    try {
      const observed = await reconciler.observe(ctx);
      const plan = reconciler.plan(spec, observed, { name: 'race', now: Date.now(), inventory: [...state.inventory], memo: state.memo });
      if (plan.changes.some((c: UnifiedNamespaceChange) => c.action === 'chmod')) planned++;
      if (plan.changes.length > 0) await reconciler.apply(plan.changes, observed, ctx);
    } catch (err) {
      if (err instanceof RetryableError && err.reason === 'FolderChanged') refused++;
      else if (isStalledError(err)) stalled++;
      else throw err;
    }
  }
  return { planned, refused, stalled };
}

/**
 * 200 × the hardlink probe while the racer runs, with an observation made while `media` was the real folder (so
 * that every probe links into it, whatever is there now): counts the probes that linked and those refused.
 */
async function probeUnderRace(host: Host, s: Scene): Promise<{ linked: number; refused: number; failed: string[] }> {
  const spec = nsSpec({ host: host.name, root: join(s.dir, 'data'), directories: ['media'] });
  const state = new MemoryState();
  const resource = resourceOf('UnifiedNamespace', 'race', spec);
  let observed: UnifiedNamespaceObserved | undefined;
  for (let i = 0; i < 1000 && observed === undefined; i++) {
    const seen = await reconciler.observe(state.context(resource, host, Date.now()));
    if (seen.folders[1]?.state.kind === 'directory') observed = seen;
  }
  if (observed === undefined) throw new Error('media was never seen as a folder in 1000 observations');
  let linked = 0;
  let refused = 0;
  const failed: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    try {
      const failures = await hardlinkProbe(host, observed.folders, 'race');
      if (failures.length === 0) linked++;
      else failed.push(...failures.map((f) => f.message));
    } catch (err) {
      if (isHostError(err, 'ECONFLICT')) refused++;
      else failed.push(String(err));
    }
  }
  return { linked, refused, failed };
}

/** The folder outside the tree: only the private file, unchanged, and not one inotify event there. */
function expectOutsideUntouched(s: Scene): void {
  const st = statSync(join(s.outside, PROBE_NAME));
  expect({
    entries: readdirSync(s.outside),
    events: s.outsideEvents,
    file: { mode: (st.mode & 0o7777).toString(8), content: readFileSync(join(s.outside, PROBE_NAME), 'utf8') },
  }).toEqual({ entries: [PROBE_NAME], events: [], file: { mode: '600', content: 'private\n' } });
  expect(readdirSync(join(s.dir, 'data')).filter((n) => n.startsWith(probeFileName('')))).toEqual([]);
}

/** Probes under the race, then checks nothing outside the tree changed and the race really ran. */
async function expectProbeConfined(host: Host, s: Scene): Promise<void> {
  const result = await probeUnderRace(host, s);
  const swaps = await s.swaps();
  console.log(`probe race (${host.transport}): ${swaps} swaps; of ${RUNS} probes ${result.linked} linked into the folder, ${result.refused} were refused (ECONFLICT), ${result.failed.length} failed otherwise`);
  expectOutsideUntouched(s);
  expect(result.failed).toEqual([]);
  expect(swaps).toBeGreaterThan(1000);
  expect(result.refused).toBeGreaterThan(10);
}

function expectUntouched(secret: string): void {
  const st = statSync(secret);
  expect({ mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, content: readFileSync(secret, 'utf8') }).toEqual({
    mode: '600',
    uid: 0,
    gid: 0,
    content: 'private\n',
  });
}

/** RUNS applies through `host` while the racer swaps the folder: the outside file never changes, and the race really ran. */
async function expectApplyRaceHarmless(host: Host): Promise<void> {
  const s = await scene();
  try {
    const result = await applyUnderRace(host, s);
    const swaps = await s.swaps();
    console.log(`race (${host.transport}): ${swaps} swaps; of ${RUNS} runs ${result.planned} planned a chmod, ${result.refused} were refused (FolderChanged), ${result.stalled} stalled`);
    expectUntouched(s.secret);
    // The race really ran: the racer swapped, the folder was seen and planned against, and changes were refused.
    expect(swaps).toBeGreaterThan(1000);
    expect(result.planned).toBeGreaterThan(10);
    expect(result.refused + result.stalled).toBeGreaterThan(10);
  } finally {
    await host.close();
    s.cleanup();
  }
}

local.describe('a symlink race against UnifiedNamespace on this machine', () => {
  local.it(`${RUNS} applies while a racer swaps the folder and a symlink to an outside file: the file never changes`, async () => {
    await expectApplyRaceHarmless(new LocalHost({ name: 'race' }));
  }, 180_000);

  local.it('a folder swapped for a symlink to an outside folder after it was observed: verify\'s probe is FolderChanged, nothing made there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-race-'));
    const host = new LocalHost({ name: 'race' });
    try {
      mkdirSync(join(dir, 'data/media'), { recursive: true });
      mkdirSync(join(dir, 'outside'));
      writeFileSync(join(dir, 'outside', PROBE_NAME), 'private\n');
      const spec = nsSpec({ host: host.name, root: join(dir, 'data'), directories: ['media'] });
      const state = new MemoryState();
      const ctx = state.context(resourceOf('UnifiedNamespace', 'race', spec), host, Date.now());
      const observed = await reconciler.observe(ctx);
      const plan = reconciler.plan(spec, observed, { name: 'race', now: Date.now(), inventory: [], memo: state.memo });
      renameSync(join(dir, 'data/media'), join(dir, 'data/media-real'));
      symlinkSync('../outside', join(dir, 'data/media'));
      const err = await reconciler.verify!(observed, plan, ctx).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableError);
      expect((err as RetryableError).reason).toBe('FolderChanged');
      expect((err as Error).message).toContain('now a symlink');
      expect(readdirSync(join(dir, 'outside'))).toEqual([PROBE_NAME]);
      expect(readFileSync(join(dir, 'outside', PROBE_NAME), 'utf8')).toBe('private\n');
      expect(readdirSync(join(dir, 'data')).sort()).toEqual(['media', 'media-real']);
    } finally {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  local.it(`${RUNS} hardlink probes while a racer swaps the folder and a symlink to an outside folder: nothing appears or goes there`, async () => {
    const s = await scene('../outside');
    const host = new LocalHost({ name: 'race' });
    try {
      await expectProbeConfined(host, s);
    } finally {
      await host.close();
      s.cleanup();
    }
  }, 180_000);
});

let server: TestSshd | undefined;

ssh.describe('a symlink race against UnifiedNamespace over SSH', () => {
  beforeAll(async () => {
    server = await startSshd();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const sshHost = () =>
    new SshHost({
      name: 'race-ssh',
      ...sshLoginOf(server!),
      operationTimeoutMs: 20_000,
    });

  ssh.it(`${RUNS} applies over SSH while a racer swaps the folder and a symlink to an outside file: the file never changes`, async () => {
    await expectApplyRaceHarmless(sshHost());
  }, 300_000);

  ssh.it(`${RUNS} hardlink probes over SSH while a racer swaps the folder and a symlink to an outside folder: nothing appears or goes there`, async () => {
    const s = await scene('../outside');
    const host = sshHost();
    try {
      await expectProbeConfined(host, s);
    } finally {
      await host.close();
      s.cleanup();
    }
  }, 300_000);
});
