/**
 * VpnSidecar's compose-like container options against the real Docker engine, one reconcile at a time: each field
 * reaches Docker with Docker's semantics (checked by inspect and from inside the containers), an unchanged spec
 * changes nothing and a changed field recreates; stopGracePeriod bounds how long a dependent that ignores SIGTERM
 * holds a heal; `pull: always` follows a tag to a new image id, keeping the container's volumes.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { vpnSidecarReconciler as reconciler } from '../../reconcilers/vpn-sidecar/index.js';
import type { VpnChange } from '../../reconcilers/vpn-sidecar/model.js';
import type { VpnSidecarSpec } from '../../reconcilers/vpn-sidecar/spec.js';
import { dockerd, dockerExec, ensureTestImages, TEST_APP_IMAGE, TEST_IMAGE } from '../support/docker.js';
import { MemoryState, reconcileOnce, resourceOf } from '../storage-keepalive/context.js';
import { vpnFixture, type VpnFixture } from './fixture.js';

let fx: VpnFixture;
let state: MemoryState;
const figures: Record<string, number> = {};

beforeAll(() => ensureTestImages(), 60_000);
afterEach(async () => fx && (await fx.cleanup()));
afterAll(() => {
  if (Object.keys(figures).length > 0) console.log(`VpnSidecar compose fields (ms): ${JSON.stringify(figures)}`);
});

function setup(): VpnFixture {
  fx = vpnFixture();
  state = new MemoryState();
  return fx;
}

/** One reconcile that must converge; returns what it changed. */
async function converge(spec: VpnSidecarSpec): Promise<VpnChange[]> {
  const run = await reconcileOnce(reconciler, state, resourceOf('VpnSidecar', fx.resource, spec), fx.host, Date.now());
  expect(run.after.changes.map((c) => c.summary)).toEqual([]);
  return run.plan.changes as VpnChange[];
}

const inspect = (name: string) => fx.docker.getContainer(name).inspect();

/** PID 1 ignores SIGTERM: only SIGKILL, after the stop timeout, ends it. */
const IGNORES_TERM = ['sh', '-c', "trap '' TERM; while :; do sleep 1; done"];

dockerd.describe('VpnSidecar compose-like fields on the real Docker engine', () => {
  dockerd.it('every field reaches Docker; an unchanged spec changes nothing, a changed field recreates and says which', async () => {
    setup();
    const spec = fx.spec(
      {},
      [
        fx.dependent({
          command: ['sh', '-c', 'while :; do sleep 1; done'],
          user: '1000:1000',
          workingDir: '/tmp',
          labels: { 'com.example.team': 'media' },
          stopGracePeriod: '2s',
          restart: 'on-failure:3',
          capAdd: ['SYS_NICE'],
          capDrop: ['MKNOD'],
          devices: ['/dev/null:/dev/mynull:r'],
          tmpfs: ['/run:size=8m'],
          readOnly: true,
          shmSize: '16m',
          ulimits: { nofile: { soft: 1024, hard: 2048 } },
          healthcheck: { test: ['CMD', 'true'], interval: '1s', retries: 2 },
        }),
      ],
    );
    spec.gateway = { ...spec.gateway, sysctls: { 'net.ipv4.ip_forward': '1' }, labels: { 'com.example.role': 'vpn' }, capAdd: ['NET_ADMIN'], entrypoint: [], command: TEST_SLEEP };
    expect((await converge(spec)).map((c) => c.action)).toEqual(['create', 'create']);

    const gw = await inspect(fx.gateway);
    expect(gw.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
    expect(gw.HostConfig.Sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
    expect(gw.Config.Labels['com.example.role']).toBe('vpn');
    const app = await inspect(fx.app);
    expect(app.Config).toMatchObject({ User: '1000:1000', WorkingDir: '/tmp', Cmd: ['sh', '-c', 'while :; do sleep 1; done'], StopTimeout: 2 });
    expect(app.Config.Labels).toMatchObject({ 'com.example.team': 'media', 'dev.homeostat.role': 'dependent' });
    expect(app.HostConfig).toMatchObject({
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      CapAdd: ['SYS_NICE'],
      CapDrop: ['MKNOD'],
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'r' }],
      Tmpfs: { '/run': 'size=8m' },
      ReadonlyRootfs: true,
      ShmSize: 16 * 1024 ** 2,
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
    });
    expect(app.Config.Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 1e9, Retries: 2 });

    // From inside, as a user would see it.
    expect(dockerExec(fx.app, ['id', '-u']).trim()).toBe('1000');
    expect(dockerExec(fx.app, ['pwd']).trim()).toBe('/tmp');
    expect(dockerExec(fx.app, ['sh', '-c', 'ulimit -n']).trim()).toBe('1024');
    expect(dockerExec(fx.app, ['sh', '-c', 'touch /rootfs-write 2>&1 || echo refused'])).toContain('refused');
    expect(dockerExec(fx.app, ['sh', '-c', 'grep " /run " /proc/mounts'])).toContain('tmpfs');
    expect(dockerExec(fx.app, ['sh', '-c', 'test -c /dev/mynull && echo dev']).trim()).toBe('dev');
    // The gateway's sysctls hold in the namespace its dependents share.
    expect(dockerExec(fx.app, ['cat', '/proc/sys/net/ipv4/ip_forward']).trim()).toBe('1');

    expect(await converge(spec)).toEqual([]);

    spec.dependents[0]!.user = '1001';
    const changes = await converge(spec);
    expect(changes.map((c) => c.action)).toEqual(['recreate']);
    expect(changes[0]!.summary).toContain('user → 1001');
    expect(dockerExec(fx.app, ['id', '-u']).trim()).toBe('1001');
  });

  dockerd.it('stopGracePeriod: a dependent that ignores SIGTERM is healed in about a second, not ten', async () => {
    setup();
    const spec = fx.spec({}, [fx.dependent({ command: IGNORES_TERM, stopGracePeriod: '1s' })]);
    await converge(spec);
    expect((await inspect(fx.app)).Config).toMatchObject({ StopTimeout: 1 });

    // A heal that stops the dependent: the gateway restarted, so the dependent is restarted into its namespace.
    execFileSync('docker', ['restart', '-t', '1', fx.gateway]);
    let started = Date.now();
    const restart = await converge(spec);
    figures.restartHeal = Date.now() - started;
    expect(restart.map((c) => c.action)).toEqual(['restart']);

    // A recreate (a changed field) stops it the same way.
    spec.dependents[0]!.env = { PUID: '1001' };
    started = Date.now();
    expect((await converge(spec)).map((c) => c.action)).toEqual(['recreate']);
    figures.recreate = Date.now() - started;
    expect(figures.restartHeal).toBeLessThan(5_000);
    expect(figures.recreate).toBeLessThan(5_000);
  });

  dockerd.it('pull: always: a new image id under the same tag recreates the container, keeping its volumes', async () => {
    setup();
    const tag = `homeostat-test/app:pull-${fx.suffix}`;
    const volume = `hs-pull-${fx.suffix}`;
    execFileSync('docker', ['tag', TEST_APP_IMAGE, tag]);
    try {
      const spec = fx.spec({}, [fx.dependent({ image: tag, pull: 'always', volumes: [`${volume}:/data`] })]);
      const first = await converge(spec);
      // No registry here: the pull fails and the image on the Docker host is used, with a warning.
      expect(first.map((c) => c.action)).toEqual(['pull', 'create', 'create']);
      expect(state.events.some((e) => e.reason === 'ImagePullFailed' && e.message.includes('using the image on the Docker host'))).toBe(true);
      const before = await inspect(fx.app);
      dockerExec(fx.app, ['sh', '-c', 'echo kept > /data/marker && echo anon > /config/marker']);
      expect(await converge(spec)).toEqual([]);

      execFileSync('docker', ['tag', TEST_IMAGE, tag]); // the tag now names another image (as a docker pull would)
      const changes = await converge(spec);
      expect(changes.map((c) => c.action)).toEqual(['pull', 'recreate']);
      expect(changes[1]!.summary).toContain('pull: always');
      const after = await inspect(fx.app);
      expect(after.Id).not.toBe(before.Id);
      expect(after.Image).toBe((await fx.docker.getImage(TEST_IMAGE).inspect()).Id);
      expect(dockerExec(fx.app, ['cat', '/data/marker'])).toBe('kept\n');
      expect(dockerExec(fx.app, ['cat', '/config/marker'])).toBe('anon\n');

      // pull: missing (the default) leaves a running container on its image.
      spec.dependents[0]!.pull = 'missing';
      expect(await converge(spec)).toEqual([]);
      execFileSync('docker', ['tag', TEST_APP_IMAGE, tag]);
      expect(await converge(spec)).toEqual([]);
    } finally {
      await fx.cleanup();
      execFileSync('docker', ['rmi', tag], { stdio: 'ignore' });
      execFileSync('docker', ['volume', 'rm', '-f', volume], { stdio: 'ignore' });
    }
  });
});

/** The test image's own command, spelled out (the gateway's entrypoint is cleared above). */
const TEST_SLEEP = ['sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 1 & wait $!; done"];
