/**
 * The daemon following a real repository on disk (by path and by file://): a new commit is applied and shows in
 * status, `get` and `describe`; a commit that does not validate, a ref that vanished and a failing fetch keep the
 * last good commit in force with `SourceReady` False and nothing pruned; a force-push is applied like any commit;
 * `refresh()` fetches before the interval; a restart without a reachable repository keeps the last good checkout,
 * and a source that was never good prunes nothing recorded earlier.
 */
import { renameSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderDescribe, renderGet } from '../../controller/cli/output.js';
import { SOURCE_CONDITION } from '../../controller/source/index.js';
import { describeResource, listResourceViews } from '../../controller/status/views.js';
import type { Daemon } from '../../controller/runtime/daemon.js';
import { waitUntil } from '../support/wait.js';
import { createGitLab, hostYaml, isReady, keepaliveYaml, type GitLab } from './git-lab.js';

let lab: GitLab;

beforeEach(() => {
  lab = createGitLab();
});
afterEach(async () => {
  await lab.cleanup();
});

const sourceCondition = (daemon: Daemon) => daemon.store.listControllerConditions().find((c) => c.type === SOURCE_CONDITION);
const manifestsValid = (daemon: Daemon) => daemon.store.listControllerConditions().find((c) => c.type === 'ManifestsValid');

describe('git source in the daemon', () => {
  it('applies the fetched commit: status, get and describe show it; refresh() picks up the next one before the interval', async () => {
    const first = lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root), 'manifests/hdd.yaml': keepaliveYaml('hdd', '5m') }, 'Add the hdd keepalive');
    const daemon = await lab.start({ url: `file://${lab.upstream.bare}` });
    let v = await lab.waitForView('StorageKeepalive/hdd', isReady, 'Ready');
    expect(v.lastAppliedRevision).toEqual({ commit: first, dirty: false, subject: 'Add the hdd keepalive' });
    expect(lab.cron('hdd')).toContain('*/5 * * * *');
    expect(daemon.source.state()).toMatchObject({ type: 'git', appliedCommit: first, appliedSubject: 'Add the hdd keepalive', lastFetchResult: 'ok', fetchedCommit: first, ref: 'main', path: 'manifests' });
    expect(sourceCondition(daemon)).toMatchObject({ status: 'True', reason: 'Applied' });

    const second = lab.upstream.commit({ 'manifests/hdd.yaml': keepaliveYaml('hdd', '10m') }, 'Wake the disk every 10 minutes');
    const state = await daemon.source.refresh(); // the interval is an hour: only the refresh can bring it
    expect(state.appliedCommit).toBe(second);
    v = await lab.waitForView('StorageKeepalive/hdd', (x) => isReady(x) && x.lastAppliedRevision?.commit === second, 'Ready at the second commit');
    expect(lab.cron('hdd')).toContain('*/10 * * * *');

    const table = await renderGet(listResourceViews(daemon.store), 'table');
    expect(table.split('\n')[0]).toMatch(/REVISION$/);
    expect(table).toMatch(new RegExp(`StorageKeepalive\\s+hdd\\s+local\\s+True\\s+\\S+\\s+\\S+\\s+${second.slice(0, 7)}$`, 'm'));
    const described = await renderDescribe(describeResource(daemon.store, 'StorageKeepalive', 'hdd')!);
    expect(described).toContain(`Revision:     ${second} (Wake the disk every 10 minutes)`);
  });

  it('keeps the last good commit in force when a commit does not validate, and applies the fix', async () => {
    const good = lab.upstream.commit(
      { 'manifests/host.yaml': hostYaml(lab.root), 'manifests/a.yaml': keepaliveYaml('a'), 'manifests/b.yaml': keepaliveYaml('b') },
      'Two keepalives',
    );
    const daemon = await lab.start({ url: lab.upstream.bare });
    await lab.waitForView('StorageKeepalive/b', isReady, 'Ready');
    // One commit removes b and breaks a: applied whole or not at all, so b is not pruned either.
    const bad = lab.upstream.commit({ 'manifests/b.yaml': null, 'manifests/a.yaml': keepaliveYaml('a').replace('interval: 5m', 'interval: 1ms') }, 'Too eager');
    const state = await daemon.source.refresh();
    expect(state).toMatchObject({ appliedCommit: good, fetchedCommit: bad, lastFetchResult: 'ok' });
    const condition = sourceCondition(daemon)!;
    expect(condition).toMatchObject({ status: 'False', reason: 'InvalidManifests' });
    expect(condition.message).toContain(`commit ${bad.slice(0, 12)} "Too eager" does not validate (1 error(s))`);
    expect(condition.message).toContain('a.yaml:7:13 StorageKeepalive/a: spec.interval: must be at least 1s');
    expect(condition.message).toContain(`commit ${good.slice(0, 12)} "Two keepalives" stays in force`);
    await waitUntil('ManifestsValid False', () => manifestsValid(daemon)?.status === 'False');
    expect(lab.cron('b')).not.toBeNull();
    expect(lab.view('StorageKeepalive/b')).toBeDefined();
    expect(describeResource(daemon.store, 'StorageKeepalive', 'a')!.events.map((e) => e.reason)).toContain('InvalidManifest');

    const fixed = lab.upstream.commit({ 'manifests/a.yaml': keepaliveYaml('a', '15m') }, 'Sane interval');
    expect((await daemon.source.refresh()).appliedCommit).toBe(fixed);
    await waitUntil('b pruned with the fixed commit', () => lab.cron('b') === null);
    await lab.waitForView('StorageKeepalive/a', (v) => isReady(v) && v.lastAppliedRevision?.commit === fixed, 'Ready at the fix');
    expect(sourceCondition(daemon)).toMatchObject({ status: 'True', reason: 'Applied' });
    await waitUntil('ManifestsValid True', () => manifestsValid(daemon)?.status === 'True');
  });

  it('keeps the last good commit when the ref vanishes or the repository is gone, and applies a force-push', async () => {
    const good = lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root), 'manifests/a.yaml': keepaliveYaml('a') }, 'First');
    const daemon = await lab.start();
    await lab.waitForView('StorageKeepalive/a', isReady, 'Ready');

    lab.upstream.deleteBranch('main');
    let state = await daemon.source.refresh();
    expect(state).toMatchObject({ appliedCommit: good, lastFetchResult: 'failed' });
    expect(sourceCondition(daemon)).toMatchObject({ status: 'False', reason: 'RefNotFound' });
    expect(sourceCondition(daemon)!.message).toContain('ref "main" not found');
    expect(lab.cron('a')).not.toBeNull();

    // A rewritten history: a new root commit, force-pushed, applied like any other.
    const rewritten = lab.upstream.forcePush({ 'manifests/host.yaml': hostYaml(lab.root), 'manifests/a.yaml': keepaliveYaml('a', '20m') }, 'Rewritten');
    state = await daemon.source.refresh();
    expect(state).toMatchObject({ appliedCommit: rewritten, lastFetchResult: 'ok' });
    await lab.waitForView('StorageKeepalive/a', (v) => isReady(v) && v.lastAppliedRevision?.commit === rewritten, 'Ready at the rewrite');
    expect(lab.cron('a')).toContain('*/20 * * * *');

    const moved = `${lab.upstream.bare}.moved`;
    renameSync(lab.upstream.bare, moved);
    try {
      state = await daemon.source.refresh();
      expect(state).toMatchObject({ appliedCommit: rewritten, lastFetchResult: 'failed' });
      expect(state.lastFetchError).toMatch(/fetching "main" from .* failed/);
      expect(sourceCondition(daemon)).toMatchObject({ status: 'False', reason: 'FetchFailed' });
      expect(lab.cron('a')).not.toBeNull();
    } finally {
      renameSync(moved, lab.upstream.bare);
    }
  });

  it('after a restart with the repository unreachable, the last good checkout is in force', async () => {
    const good = lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root), 'manifests/a.yaml': keepaliveYaml('a') }, 'First');
    await lab.start();
    await lab.waitForView('StorageKeepalive/a', isReady, 'Ready');
    await lab.stop();

    const moved = `${lab.upstream.bare}.moved`;
    renameSync(lab.upstream.bare, moved);
    try {
      const daemon = await lab.start();
      expect(daemon.source.state()).toMatchObject({ appliedCommit: good, appliedSubject: 'First', lastFetchResult: 'failed' });
      expect(sourceCondition(daemon)).toMatchObject({ status: 'False', reason: 'FetchFailed' });
      expect(daemon.controller.desired.keys()).toContain('StorageKeepalive/a');
      await lab.waitForView('StorageKeepalive/a', isReady, 'Ready from the last good checkout');
      expect(lab.cron('a')).not.toBeNull();
    } finally {
      renameSync(moved, lab.upstream.bare);
    }
  });

  it('a source that was never good prunes nothing recorded earlier, and applies its first good commit', async () => {
    lab.upstream.commit({ 'manifests/host.yaml': hostYaml(lab.root), 'manifests/a.yaml': keepaliveYaml('a') }, 'First');
    await lab.start();
    await lab.waitForView('StorageKeepalive/a', isReady, 'Ready');
    await lab.stop();

    // Another repository, never fetched: no last good checkout of its own, and its first fetch fails.
    const missing = `${lab.upstream.bare}-elsewhere`;
    const daemon = await lab.start({ url: missing });
    expect(daemon.source.state()).toMatchObject({ appliedCommit: null, lastFetchResult: 'failed' });
    expect(sourceCondition(daemon)).toMatchObject({ status: 'False', reason: 'FetchFailed' });
    expect(sourceCondition(daemon)!.message).toContain('nothing is applied and nothing is pruned');
    await new Promise((r) => setTimeout(r, 300));
    expect(lab.cron('a')).not.toBeNull();
    expect(lab.view('StorageKeepalive/a')).toBeDefined();

    renameSync(lab.upstream.bare, missing);
    const state = await daemon.source.refresh();
    expect(state.appliedCommit).not.toBeNull();
    await lab.waitForView('StorageKeepalive/a', (v) => isReady(v) && v.lastAppliedRevision?.commit === state.appliedCommit, 'Ready at the new source');
  });
});
