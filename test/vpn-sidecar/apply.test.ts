/**
 * VpnSidecar against the real Docker engine, one reconcile at a time (no controller): the gateway and its
 * dependents are created as declared, the kill switch is checked from inside the containers, changes recreate
 * what they must (keeping mounts), delete removes exactly what homeostat created, and bad input changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, beforeAll, expect } from 'vitest';
import { isStalledError } from '../../reconcilers/core/contract.js';
import { failureReason } from '../../reconcilers/core/errors.js';
import { vpnSidecarReconciler as reconciler } from '../../reconcilers/vpn-sidecar/index.js';
import type { VpnChange } from '../../reconcilers/vpn-sidecar/model.js';
import type { VpnSidecarSpec } from '../../reconcilers/vpn-sidecar/spec.js';
import { createHost } from '../../reconcilers/host/index.js';
import { dockerd, dockerExec, ensureTestImages, freeLoopbackPort, interfacesIn, netnsInside, netnsOf, runByHand } from '../support/docker.js';
import { waitUntil } from '../support/wait.js';
import { MemoryState, reconcileOnce, resourceOf } from '../storage-keepalive/context.js';
import { vpnFixture, WG_KEY_VALUE, type VpnFixture } from './fixture.js';

let fx: VpnFixture;
let state: MemoryState;

beforeAll(() => ensureTestImages(), 60_000);
afterEach(async () => fx && (await fx.cleanup()));

function setup(): VpnFixture {
  fx = vpnFixture();
  state = new MemoryState();
  return fx;
}

const resource = (spec: VpnSidecarSpec) => resourceOf('VpnSidecar', fx.resource, spec);

async function converge(spec: VpnSidecarSpec) {
  const run = await reconcileOnce(reconciler, state, resource(spec), fx.host, Date.now());
  expect(run.after.changes.map((c) => c.summary)).toEqual([]);
  const ctx = state.context(resource(spec), fx.host, Date.now());
  // verify gets the observation and the plan made from it, as the machine hands them over.
  const observed = await reconciler.observe(ctx);
  const plan = reconciler.plan(spec, observed, { name: fx.resource, now: ctx.now, inventory: ctx.inventory, memo: ctx.memo });
  expect(plan.changes).toEqual([]);
  await reconciler.verify!(observed, plan, ctx);
  return run.plan.changes;
}

const inspect = (name: string) => fx.docker.getContainer(name).inspect();

dockerd.describe('VpnSidecar on the real Docker engine', () => {
  dockerd.it('creates the gateway with NET_ADMIN, /dev/net/tun and the ports; the dependent shares its network stack', async () => {
    setup();
    const port = await freeLoopbackPort();
    const spec = fx.spec({}, [fx.dependent({ ports: [`127.0.0.1:${port}:8080`], volumes: [`${fx.dir}:/data`] })]);
    const changes = await converge(spec);
    expect(changes.map((c) => c.action)).toEqual(['create', 'create']);

    const gw = await inspect(fx.gateway);
    expect(gw.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
    expect(gw.HostConfig.Devices).toEqual([{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }]);
    expect(gw.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    expect(gw.Config.Env).toEqual(expect.arrayContaining(['VPN_SERVICE_PROVIDER=protonvpn', `WIREGUARD_PRIVATE_KEY=${WG_KEY_VALUE}`]));
    expect(gw.Config.Labels).toMatchObject({ 'dev.homeostat.owner': `VpnSidecar/${fx.resource}`, 'dev.homeostat.role': 'gateway' });
    expect(gw.Config.Labels['dev.homeostat.spec-hash']).toMatch(/^[0-9a-f]{16}$/);

    const app = await inspect(fx.app);
    expect(app.HostConfig.NetworkMode).toBe(`container:${gw.Id}`);
    expect(app.NetworkSettings.Networks).toEqual({});
    expect(app.HostConfig.PortBindings ?? {}).toEqual({});
    expect(app.HostConfig.Binds).toEqual([`${fx.dir}:/data`]);

    // From inside: the same interfaces, the same namespace; the app's port answers on the gateway's.
    expect(interfacesIn(fx.app)).toEqual(interfacesIn(fx.gateway));
    expect(interfacesIn(fx.app)).toEqual(['lo', 'eth0']);
    expect(netnsInside(fx.app)).toBe(netnsInside(fx.gateway));
    dockerExec(fx.app, ['sh', '-c', 'mkdir -p /www && echo behind-the-gateway > /www/index.html && httpd -p 8080 -h /www']);
    const body = await waitUntil('the app answers on the gateway\'s published port', async () =>
      fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => ''),
    );
    expect(body).toBe('behind-the-gateway\n');

    expect(state.inventory.map((i) => i.detail?.name).sort()).toEqual([fx.app, fx.gateway].sort());
    expect(state.status).toMatchObject({ gatewayId: gw.Id.slice(0, 12), killSwitch: expect.stringContaining('1 dependent(s) share') });
    expect(JSON.stringify({ changes, state })).not.toContain(WG_KEY_VALUE);
  });

  dockerd.it('when the gateway stops, the dependent has loopback only; the next run restarts both into one namespace', async () => {
    setup();
    const spec = fx.spec();
    await converge(spec);
    execFileSync('docker', ['stop', '-t', '1', fx.gateway]);
    expect(interfacesIn(fx.app)).toEqual(['lo']);

    const changes = await converge(spec);
    expect(changes.map((c) => `${c.action} ${c.target}`)).toEqual([`start container/${fx.gateway}`, `restart container/${fx.app}`]);
    expect(await netnsOf(fx.docker, fx.app)).toBe(await netnsOf(fx.docker, fx.gateway));
    expect(interfacesIn(fx.app)).toEqual(['lo', 'eth0']);
  });

  dockerd.it('a changed spec recreates the gateway (diff names the field) and its dependents on the new id, keeping their mounts', async () => {
    setup();
    const spec = fx.spec({}, [fx.dependent({ volumes: [`${fx.dir}:/data`] })]);
    await converge(spec);
    const before = await inspect(fx.gateway);
    dockerExec(fx.app, ['sh', '-c', 'echo kept > /config/marker && echo data > /data/file']);

    spec.gateway.env = { VPN_SERVICE_PROVIDER: 'mullvad' };
    const changes = (await converge(spec)) as VpnChange[];
    expect(changes.map((c) => c.action)).toEqual(['recreate', 'recreate']);
    expect(changes[0]!.summary).toContain('env VPN_SERVICE_PROVIDER=mullvad');
    expect(changes[1]!.summary).toContain(`the gateway ${fx.gateway} is recreated`);

    const after = await inspect(fx.gateway);
    expect(after.Id).not.toBe(before.Id);
    expect((await inspect(fx.app)).HostConfig.NetworkMode).toBe(`container:${after.Id}`);
    expect(dockerExec(fx.app, ['cat', '/config/marker'])).toBe('kept\n'); // the anonymous volume came along
    expect(readFileSync(`${fx.dir}/file`, 'utf8')).toBe('data\n');
    expect(netnsInside(fx.app)).toBe(netnsInside(fx.gateway));
  });

  dockerd.it('a rotated secret recreates the gateway, shown by hash only', async () => {
    setup();
    const spec = fx.spec();
    await converge(spec);
    fx.secret('wg.key', 'a-rotated-key');
    const changes = await converge(spec);
    expect(changes[0]!.summary).toMatch(/secretEnv WIREGUARD_PRIVATE_KEY <secret sha256:[0-9a-f]{4}…> → <secret sha256:[0-9a-f]{4}…>/);
    expect(JSON.stringify(changes)).not.toContain('a-rotated-key');
    expect((await inspect(fx.gateway)).Config.Env).toContain('WIREGUARD_PRIVATE_KEY=a-rotated-key');
  });

  dockerd.it('delete removes exactly the containers it created, never their volumes nor a human\'s container', async () => {
    setup();
    const spec = fx.spec();
    await converge(spec);
    const volume = (await inspect(fx.app)).Mounts.find((m) => m.Destination === '/config')!.Name!;
    const human = runByHand(fx.suffix, `${fx.app}-2`, []);
    await reconciler.finalize(state.context(resource(spec), fx.host, Date.now()));
    const left = await fx.docker.listContainers({ all: true, filters: { name: [fx.suffix] } });
    expect(left.map((c) => c.Id)).toEqual([human]);
    expect(state.inventory).toEqual([]);
    expect((await fx.docker.getVolume(volume).inspect()).Name).toBe(volume);
    await fx.docker.getVolume(volume).remove();
  });

  dockerd.it('stalls on a container with a declared name that it does not own; adopt: true recreates it', async () => {
    setup();
    const human = runByHand(fx.suffix, fx.gateway, []);
    const spec = fx.spec();
    const error = await reconcileOnce(reconciler, state, resource(spec), fx.host, Date.now()).catch((err: unknown) => err);
    expect(isStalledError(error) && error.reason).toBe('ContainerNotOwned');
    expect((error as Error).message).toContain(`container ${fx.gateway} (${human.slice(0, 12)}) exists but was not created by homeostat`);
    expect((await inspect(fx.gateway)).Id).toBe(human); // untouched

    const changes = await converge({ ...spec, adopt: true });
    expect(changes[0]!.summary).toContain('adopted');
    expect((await inspect(fx.gateway)).Config.Labels['dev.homeostat.owner']).toBe(`VpnSidecar/${fx.resource}`);
  });

  dockerd.it('bad input changes nothing: a missing secret file, an image that cannot be pulled, Docker unreachable', async () => {
    setup();
    const spec = fx.spec();
    await converge(spec);
    const before = (await inspect(fx.gateway)).Id;

    const missing = fx.spec({}, [fx.dependent({ secretEnv: { TOKEN: { file: `${fx.dir}/nope` } } })]);
    const noSecret = await reconcileOnce(reconciler, state, resource(missing), fx.host, Date.now()).catch((err: unknown) => err);
    expect((noSecret as Error).message).toBe(`spec.dependents[0].secretEnv.TOKEN: secret file ${fx.dir}/nope does not exist`);
    expect(failureReason(noSecret)).toBe('SecretFileMissing');

    const unpullable = fx.spec();
    unpullable.gateway.image = '127.0.0.1:1/homeostat-test/missing:1';
    const noImage = await reconcileOnce(reconciler, state, resource(unpullable), fx.host, Date.now()).catch((err: unknown) => err);
    expect((noImage as Error).message).toMatch(/^cannot pull image 127\.0\.0\.1:1\/homeostat-test\/missing:1: .*; nothing was removed$/);
    expect(failureReason(noImage)).toBe('ImagePullFailed');
    expect((await inspect(fx.gateway)).Id).toBe(before);
    expect((await inspect(fx.gateway)).State.Running).toBe(true);

    const nowhere = createHost('local', { docker: { socketPath: `${fx.dir}/no-docker.sock` } }, { baseDir: '/', stateDir: fx.dir });
    const ctx = state.context(resource(spec), nowhere, Date.now());
    const unreachable = await reconciler.observe(ctx).catch((err: unknown) => err);
    expect((unreachable as Error).message).toBe(`Docker on Host "local" is unreachable at ${fx.dir}/no-docker.sock (ENOENT); nothing was changed`);
    expect(failureReason(unreachable)).toBe('DockerUnreachable');
    await nowhere.close();

    const noEndpoint = createHost('local', {}, { baseDir: '/', stateDir: fx.dir });
    const stalled = await reconciler.observe(state.context(resource(spec), noEndpoint, Date.now())).catch((err: unknown) => err);
    expect(isStalledError(stalled) && stalled.reason).toBe('NoDockerEndpoint');
    expect((stalled as Error).message).toContain('Host "local" declares no Docker endpoint');
    rmSync(`${fx.dir}/nope`, { force: true });
    expect(JSON.stringify(state)).not.toContain(WG_KEY_VALUE);
  });
});
