/**
 * Proof that UnifiedNamespace's hardlink probe decides: a tree that device ids and the mount table call one
 * filesystem, but where link(2) into a folder fails with EXDEV, is Stalled/CrossDevice through the real daemon.
 * The split is an XFS folder with its own project id and the project-inherit flag (how per-folder project quotas
 * are set up): same st_dev as the root, no mount anywhere in the tree, and yet hardlinks into it fail with EXDEV,
 * so only the probe can see it. The second test proves that a mount change makes the probe run again (its
 * signature changed) instead of trusting the earlier result for ten minutes.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Daemon } from '../../controller/runtime/daemon.js';
import type { ResourceView } from '../../controller/status/views.js';
import { integration } from '../support/integration.js';
import { createLab, hostManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { sleep, waitUntil } from '../support/wait.js';
import { makeXfsImage, mountImage, setProject, unmount, xfsAvailable } from '../support/xfs.js';

const xfs = integration('xfs', xfsAvailable(), 'needs root, mkfs.xfs (xfsprogs), loop devices and XFS in the kernel');
const KEY = 'UnifiedNamespace/data';
const PROBE_FILE = '.homeostat-scratch-hardlink-probe-data';

let lab: TestLab;
let daemon: Daemon | undefined;
const xfsMounts: string[] = [];

beforeEach(() => {
  lab = createLab();
  lab.writeManifest('hosts/local.yaml', hostManifest('local', lab.root));
  lab.writeManifest(
    'data.yaml',
    `apiVersion: homeostat.dev/v1alpha1
kind: UnifiedNamespace
metadata: { name: data }
spec:
  root: /pool/data
  layout: none
  directories: [media/movies, torrents/movies]
  owner: { uid: 1000, gid: 1000 }
  mode: "2775"
`,
  );
});
async function stopDaemon(): Promise<void> {
  await daemon?.stop();
  daemon = undefined;
}
afterEach(async () => {
  await stopDaemon();
  for (const at of xfsMounts.splice(0).reverse()) unmount(at);
  lab.cleanup();
});

const waitForView = (predicate: (v: ResourceView) => boolean, what: string, timeoutMs = 10_000) =>
  waitUntil(`${KEY}: ${what}`, () => {
    const v = daemon && viewOf(daemon, KEY);
    return v && predicate(v) ? v : undefined;
  }, timeoutMs);

/** Stalled/CrossDevice (read from the conditions: the summary may show a run in progress). */
const stalledCrossDevice = (v: ResourceView) => v.ready === 'False' && v.conditions.some((c) => c.type === 'Stalled' && c.status === 'True' && c.reason === 'CrossDevice');
const stalledMessage = (v: ResourceView) => v.conditions.find((c) => c.type === 'Stalled')!.message;

/** An XFS image holding the declared tree, already with its owner and mode, `media/movies` under project 42. */
function preparedImage(): string {
  const image = join(lab.dir, 'pool.xfs');
  const prep = join(lab.dir, 'prep');
  makeXfsImage(image);
  mountImage(image, prep);
  try {
    for (const rel of ['data', 'data/media', 'data/media/movies', 'data/torrents', 'data/torrents/movies']) {
      const path = join(prep, rel);
      mkdirSync(path);
      chownSync(path, 1000, 1000);
      chmodSync(path, 0o2775);
    }
    setProject(join(prep, 'data/media/movies'), 42);
  } finally {
    unmount(prep);
  }
  return image;
}

function mountPool(image: string): void {
  mountImage(image, lab.real('/pool'));
  xfsMounts.push(lab.real('/pool'));
}

function expectOneFilesystemByEveryOtherMeasure(): void {
  const root = statSync(lab.real('/pool/data'));
  expect(statSync(lab.real('/pool/data/media/movies')).dev).toBe(root.dev);
}

function expectNoProbeFilesLeft(): void {
  for (const folder of ['/pool/data', '/pool/data/media/movies', '/pool/data/torrents/movies']) {
    expect(existsSync(lab.real(`${folder}/${PROBE_FILE}`))).toBe(false);
  }
}

xfs.describe('the hardlink probe through the daemon', () => {
  xfs.it('finds a folder that refuses hardlinks from the root although device and mount table agree: Stalled/CrossDevice', async () => {
    mountPool(preparedImage());
    expectOneFilesystemByEveryOtherMeasure();
    daemon = await startLabDaemon(lab);
    const stalled = await waitForView(stalledCrossDevice, 'Stalled/CrossDevice');
    expect(stalled.ready).toBe('False');
    expect(stalledMessage(stalled)).toContain('hardlink probe');
    expect(stalledMessage(stalled)).toContain('media/movies');
    expect(stalledMessage(stalled)).toContain('EXDEV');
    expect(stalledMessage(stalled)).not.toContain('torrents/movies');
    // The probe's own files in the watched folders are not drift: a Stalled resource does not re-probe itself in a loop.
    await sleep(500);
    let runs = 0;
    const unsubscribe = daemon!.controller.onSettled((run) => {
      if (run.key === KEY) runs++;
    });
    await sleep(1_500);
    unsubscribe();
    expect(runs).toBeLessThanOrEqual(1);
    await stopDaemon();
    expectNoProbeFilesLeft();
  }, 60_000);

  xfs.it('probes again after a mount change: the tree Ready on tmpfs becomes Stalled/CrossDevice once the split pool is mounted', async () => {
    const image = preparedImage();
    lab.mountDisk('/pool');
    daemon = await startLabDaemon(lab);
    const ready = await waitForView((v) => v.ready === 'True', 'Ready on tmpfs');
    expect(ready.fields).toMatchObject({ hardlinkProbe: { ok: true, folders: 4 } });

    mountPool(image); // over the tmpfs: every folder is a new inode on a new device, nothing else is wrong
    expectOneFilesystemByEveryOtherMeasure();
    daemon.controller.reconcileNow(KEY); // mounts make no inotify event: `homeostat reconcile` (or the next resync)
    const stalled = await waitForView(stalledCrossDevice, 'Stalled/CrossDevice after the mount change');
    expect(stalledMessage(stalled)).toContain('hardlink probe');
    expect(stalledMessage(stalled)).toContain('media/movies');
    await stopDaemon();
    expectNoProbeFilesLeft();
  }, 60_000);
});
