/**
 * VpnSidecar through the real daemon, the way a user drives it: a manifest added converges; `diff` says what an
 * edit would recreate and why; the edit converges; deleting the manifest removes exactly homeostat's containers.
 * Bad input (an option container mode forbids, an invalid image reference, a port published twice, Docker
 * unreachable) is a clear condition on that resource: nothing is removed and other resources stay Ready.
 */
import { afterEach, beforeAll, expect } from 'vitest';
import { diffOnce } from '../../controller/runtime/oneshot.js';
import type { ResourceView } from '../../controller/status/views.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { allReconcilers } from '../../reconcilers/index.js';
import { ownerOf } from '../../reconcilers/vpn-sidecar/labels.js';
import { dockerd, ensureTestImages, removeTestContainers, runByHand } from '../support/docker.js';
import { waitUntil } from '../support/wait.js';
import { isReady, startVpnDaemon, vpnManifest, type VpnDaemonLab } from './daemon-lab.js';
import { vpnFixture, type VpnFixture } from './fixture.js';

let fx: VpnFixture;
let other: VpnFixture | undefined;
let lab: VpnDaemonLab | undefined;

beforeAll(() => ensureTestImages(), 60_000);
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
  await fx?.cleanup();
  await other?.cleanup();
  other = undefined;
});

const ids = async (f: VpnFixture) =>
  (await f.docker.listContainers({ all: true, filters: { label: [`dev.homeostat.owner=${ownerOf(f.resource)}`] } })).map((c) => c.Id).sort();

dockerd.describe('VpnSidecar through the daemon', () => {
  dockerd.it('converges, diffs an edit with its reasons, follows it, and prunes exactly its containers', async () => {
    fx = vpnFixture();
    const spec = fx.spec();
    lab = await startVpnDaemon({ 'vpn.yaml': vpnManifest(fx.resource, spec) });
    const ready = await lab.waitFor(fx.resource, isReady, 'Ready');
    expect(ready.fields).toMatchObject({ killSwitch: expect.stringContaining('1 dependent(s)') });
    const human = runByHand(fx.suffix, `${fx.app}-2`, []);

    await lab.pause();
    spec.dependents[0]!.env = { PUID: '1001' };
    lab.lab.writeManifest('vpn.yaml', vpnManifest(fx.resource, spec));
    const diff = await diffOnce({ manifestsDir: lab.lab.manifests, stateDir: lab.lab.state, log: silentLogger, reconcilers: allReconcilers });
    const mine = diff.find((d) => d.key === `VpnSidecar/${fx.resource}`)!;
    expect(mine.changes.map((c) => c.summary)).toEqual([expect.stringMatching(new RegExp(`^recreate ${fx.app} \\([0-9a-f]{12}\\): env PUID=1001$`))]);
    expect(mine.changes[0]!.details).toContain('+ env PUID=1001');

    await lab.resume();
    await lab.waitFor(fx.resource, (v) => isReady(v) && v.lastReconcileTime !== ready.lastReconcileTime, 'Ready after the edit');
    expect((await fx.docker.getContainer(fx.app).inspect()).Config.Env).toContain('PUID=1001');
    expect(lab.events(fx.resource).map((e) => e.reason)).toContain('Applied');

    const volume = (await fx.docker.getContainer(fx.app).inspect()).Mounts.find((m) => m.Destination === '/config')!.Name!;
    lab.lab.removeManifest('vpn.yaml');
    await waitUntil('the resource is pruned', async () => (await ids(fx)).length === 0 && lab!.view(fx.resource) === undefined, 10_000);
    const left = await fx.docker.listContainers({ all: true, filters: { name: [fx.suffix] } });
    expect(left.map((c) => c.Id)).toEqual([human]);
    expect((await fx.docker.getVolume(volume).inspect()).Name).toBe(volume); // data is never removed
    await fx.docker.getVolume(volume).remove();
  });

  dockerd.it('bad input is a condition on that resource only; nothing is removed', async () => {
    fx = vpnFixture();
    other = vpnFixture();
    const good = other.spec();
    lab = await startVpnDaemon({ 'vpn.yaml': vpnManifest(fx.resource, fx.spec()), 'other.yaml': vpnManifest(other.resource, good) });
    await lab.waitFor(fx.resource, isReady, 'Ready');
    await lab.waitFor(other.resource, isReady, 'the other one Ready');
    const before = await ids(fx);

    const forbidden = fx.spec({}, [fx.dependent({ hostname: 'qbt', ports: ['127.0.0.1:18080:8080'] }), fx.dependent({ name: `${fx.app}-2`, ports: ['127.0.0.1:18080:9090'] })]);
    lab.lab.writeManifest('vpn.yaml', vpnManifest(fx.resource, forbidden));
    const invalid = await lab.waitFor(fx.resource, (v) => v.status === 'InvalidSpec', 'Stalled/InvalidSpec');
    expect(invalid.message).toContain('spec.dependents[0].hostname: not allowed on a dependent');
    expect(invalid.message).toContain('spec.dependents[1].ports[0]: host port 18080/tcp on 127.0.0.1 is already published by spec.dependents[0].ports[0]');

    const badImage = fx.spec();
    badImage.gateway.image = 'Not/A Valid:image';
    lab.lab.writeManifest('vpn.yaml', vpnManifest(fx.resource, badImage));
    const manifestError = await waitUntil('the manifest error', () =>
      lab!.daemon.store.listControllerConditions().find((c) => c.type === 'ManifestsValid' && c.status === 'False'),
    );
    expect(manifestError.message).toMatch(new RegExp(`^vpn\\.yaml:\\d+:\\d+ VpnSidecar/${fx.resource}: .*spec\\.gateway\\.image`));

    lab.lab.writeManifest('nowhere.yaml', [
      'apiVersion: homeostat.dev/v1alpha1', 'kind: Host', 'metadata: { name: nowhere }', 'spec:', `  docker: { socketPath: ${fx.dir}/no.sock }`, '---',
      vpnManifest(`${fx.resource}-nowhere`, fx.spec()).replace('"host":"docker-local"', '"host":"nowhere"'),
    ].join('\n'));
    const unreachable = await lab.waitFor(`${fx.resource}-nowhere`, (v) => v.message.includes('is unreachable'), 'Docker unreachable');
    expect(unreachable.message).toContain(`Docker on Host "nowhere" is unreachable at ${fx.dir}/no.sock (ENOENT); nothing was changed`);
    // What a user sees: Ready=False with the cause as its reason (not the generic ReconcileFailed).
    const readyOf = (v: ResourceView) => v.conditions.find((c) => c.type === 'Ready');
    const notReady = await lab.waitFor(`${fx.resource}-nowhere`, (v) => !!readyOf(v)?.message.includes('is unreachable'), 'Ready says why');
    expect(readyOf(notReady)).toMatchObject({ status: 'False', reason: 'DockerUnreachable' });

    expect(await ids(fx)).toEqual(before); // nothing removed or recreated
    expect(lab.view(other.resource)?.ready).toBe('True');
    expect(lab.view(other.resource)?.observedGeneration).toBe(lab.view(other.resource)?.generation);
    await removeTestContainers(fx.docker, { owners: [ownerOf(`${fx.resource}-nowhere`)] });
  });
});
