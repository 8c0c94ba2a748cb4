/**
 * kill -9 between a folder's mkdir and its record, through the built daemon as a real process: whatever moment
 * the crash hits, deleting the resource afterwards removes every folder homeostat made, and nothing else (the
 * person's root, their declared and undeclared folders, their files, stay).
 *
 * The test watches the tree (inotify) and SIGKILLs the daemon's process group the moment a new folder appears,
 * round after round (each round's daemon gets one folder further), until several kills have landed after a
 * mkdir and before the folder's identity was recorded. The daemon runs under strace, which holds each mkdir
 * 300 ms after it returned: without that, a loaded machine let the daemon make every folder before the kill
 * came, and no kill landed in the window. With it, the kill meets the daemon inside the window whatever the
 * load (read from the state store with the daemon dead: the
 * folder is there and its record is an intent, or missing altogether). Recording after the mkdir (what
 * UnifiedNamespace once did) fails here: such a folder has no record, and deleting the resource keeps it forever.
 * Then either the resource is deleted at once (finalize meets the intents), or one `apply` converges first
 * (the intents are completed with the folders' real inodes, and `diff` finds nothing to do).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { StateStore } from '../../controller/state/store.js';
import type { InventoryItem } from '../../reconcilers/core/contract.js';
import { createCrashLab, type CrashLab } from '../lxc-config/crash-lab.js';
import { BUILT_CLI, type DaemonProcess } from '../support/built-cli.js';
import { integration } from '../support/integration.js';
import { straceAvailable, syscallDelay } from '../support/strace.js';
import { hostManifest } from '../support/lab.js';
import { manifestDoc } from '../support/manifests.js';

const built = integration('built CLI and strace', existsSync(BUILT_CLI) && straceAvailable(), 'run `npm run build` first (npm test does) and install strace');
/** How long each mkdir of the daemon is held after it returned: the moment the kill lands in. */
const MKDIR_HELD = syscallDelay(['mkdir', 'mkdirat'], 300);

/** Flat, so that one watch on the root sees every folder homeostat makes. */
const FOLDERS = Array.from({ length: 60 }, (_, i) => `f${String(i).padStart(2, '0')}`);
/** Kills that must land between a mkdir and its record before the resource is deleted. */
const WANTED_IN_WINDOW = 3;

const MANIFEST = manifestDoc('UnifiedNamespace', 'data', { root: '/data', layout: 'none', mode: '2775', directories: ['library', ...FOLDERS] });

let lab: CrashLab | undefined;
afterEach(() => {
  lab?.cleanup();
  lab = undefined;
});

/**
 * The Host manifest (this machine, confined to the lab's root) and the person's tree before homeostat: the root,
 * a declared folder and one it does not declare, files in each. Returns that tree.
 */
function seedPersonsTree(l: CrashLab): string[] {
  l.writeManifest('host.yaml', hostManifest('local', l.root));
  mkdirSync(l.real('/data/library'), { recursive: true, mode: 0o2775 });
  mkdirSync(l.real('/data/private'), { mode: 0o700 });
  writeFileSync(l.real('/data/notes.txt'), 'mine');
  writeFileSync(l.real('/data/library/readme.txt'), 'mine too');
  writeFileSync(l.real('/data/private/diary.txt'), 'and this');
  return treeOf(l);
}

/** Every path below /data (folders with a trailing slash), sorted. */
function treeOf(l: CrashLab): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(l.real(`/data${rel}`))) {
      const path = `${rel}/${name}`;
      const isDir = lstatSync(l.real(`/data${path}`)).isDirectory();
      out.push(isDir ? `${path}/` : path);
      if (isDir) walk(path);
    }
  };
  walk('');
  return out.sort();
}

function inventoryOf(l: CrashLab): readonly InventoryItem[] {
  const store = new StateStore(l.state);
  try {
    return store.listInventory('UnifiedNamespace', 'data');
  } finally {
    store.close();
  }
}

/**
 * SIGKILLs the daemon's process group the moment a folder not in `known` appears in /data; resolves with its
 * name once the daemon is gone. Rejects after `timeoutMs`, or when the daemon exits by itself.
 */
function killWhenNewFolder(l: CrashLab, daemon: DaemonProcess, known: ReadonlySet<string>, timeoutMs = 20_000): Promise<string> {
  const dir = l.real('/data');
  return new Promise((resolve, reject) => {
    let done = false;
    const watcher = watch(dir);
    const finish = () => {
      done = true;
      clearTimeout(timer);
      watcher.close();
    };
    const check = (name: string | null) => {
      if (done || name === null || known.has(name) || !existsSync(join(dir, name))) return;
      void daemon.kill(); // SIGKILL is sent synchronously, before anything else runs here
      finish();
      void daemon.exited.then(() => resolve(name));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no new folder appeared in /data; daemon output:\n${daemon.output()}`));
    }, timeoutMs);
    watcher.on('change', (_event, name) => check(typeof name === 'string' ? name : null));
    void daemon.exited.then(() => {
      if (done) return;
      finish();
      reject(new Error(`the daemon exited before making a folder:\n${daemon.output()}`));
    });
    for (const name of readdirSync(dir)) check(name); // made before the watch began
  });
}

/**
 * Kill rounds until WANTED_IN_WINDOW kills landed between a mkdir and its record (with each mkdir held, every
 * kill should) or every folder is made.
 */
async function crashRounds(l: CrashLab): Promise<{ rounds: number; inWindow: number; madeFolders: string[] }> {
  let rounds = 0;
  let inWindow = 0;
  while (inWindow < WANTED_IN_WINDOW) {
    const known = new Set(readdirSync(l.real('/data')));
    if (FOLDERS.every((n) => known.has(n))) break; // every folder made: no moment left to kill in
    const daemon = l.startDaemon(MKDIR_HELD);
    const name = await killWhenNewFolder(l, daemon, known);
    rounds++;
    const record = inventoryOf(l).find((i) => i.id === `/data/${name}`);
    if (statSync(l.real(`/data/${name}`)).isDirectory() && typeof record?.detail?.ino !== 'number') inWindow++;
  }
  const madeFolders = readdirSync(l.real('/data')).filter((n) => FOLDERS.includes(n));
  return { rounds, inWindow, madeFolders };
}

built.describe('a crash between a folder\'s mkdir and its record', () => {
  built.it('deleting the resource right after the kills removes every folder homeostat made, and nothing of the person\'s', async () => {
    lab = createCrashLab('arch: amd64\n'); // its CT config is not used here
    const before = seedPersonsTree(lab);
    lab.writeManifest('data.yaml', MANIFEST);

    const seen = await crashRounds(lab);
    expect(seen.inWindow, `kills between a mkdir and its record, in ${seen.rounds} rounds`).toBeGreaterThanOrEqual(WANTED_IN_WINDOW);
    // Every folder made has a record (an intent, at least): the inventory knows it.
    const recorded = new Set(inventoryOf(lab).map((i) => i.id));
    expect.soft(seen.madeFolders.filter((n) => !recorded.has(`/data/${n}`)), 'folders made without a record').toEqual([]);

    lab.removeManifest('data.yaml');
    const pruned = lab.homeostat('apply', '--manifests', lab.manifests);
    expect(pruned.stderr).toBe('');
    expect(pruned.code).toBe(0);
    expect(treeOf(lab)).toEqual(before);
    expect(readdirSync(lab.real('/data/library'))).toEqual(['readme.txt']);
    expect(inventoryOf(lab)).toEqual([]);
  }, 120_000);

  built.it('one apply after the kills records every folder with its real inode and converges; deleting then removes them', async () => {
    lab = createCrashLab('arch: amd64\n'); // its CT config is not used here
    const before = seedPersonsTree(lab);
    lab.writeManifest('data.yaml', MANIFEST);

    const seen = await crashRounds(lab);
    expect(seen.inWindow, `kills between a mkdir and its record, in ${seen.rounds} rounds`).toBeGreaterThanOrEqual(WANTED_IN_WINDOW);

    const converged = lab.homeostat('apply', '--manifests', lab.manifests);
    expect(converged.stderr).toBe('');
    expect(converged.code).toBe(0);
    expect(lab.homeostat('diff', '--manifests', lab.manifests).code).toBe(0); // nothing left to do
    const inventory = inventoryOf(lab);
    expect.soft(inventory.map((i) => i.id).sort(), 'recorded folders').toEqual(FOLDERS.map((n) => `/data/${n}`));
    for (const item of inventory) {
      const st = statSync(lab.real(item.id));
      expect(item.detail, item.id).toEqual({ dev: st.dev, ino: st.ino });
      expect((st.mode & 0o7777).toString(8), item.id).toBe('2775');
    }

    lab.removeManifest('data.yaml');
    const pruned = lab.homeostat('apply', '--manifests', lab.manifests);
    expect(pruned.stderr).toBe('');
    expect(pruned.code).toBe(0);
    expect(treeOf(lab)).toEqual(before);
    expect(inventoryOf(lab)).toEqual([]);
  }, 120_000);
});
