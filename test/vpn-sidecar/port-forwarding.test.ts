/**
 * The forwarded port, end to end through the daemon: the gateway is the gluetun stand-in (its control server
 * inside the gateway's network namespace, published by homeostat on 127.0.0.1 only, behind the API key homeostat
 * configures from controlServer.apiKey), and a real qbittorrent-nox on loopback receives the port through its WebUI API. Changing
 * the port the "VPN" forwards changes qBittorrent's listen_port within seconds. Also: the dependents are only
 * started once the gateway's healthcheck passes, and no secret reaches status or events.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { describeResource } from '../../controller/status/views.js';
import { dockerd, freeLoopbackPort } from '../support/docker.js';
import { ensureGluetunStandinImage, GLUETUN_STANDIN_IMAGE, setForwardedPort } from '../support/gluetun-standin.js';
import { integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';
import { sshdAvailable, sshLoginOf, startSshd } from '../support/sshd.js';
import { QBT_PASSWORD, QBT_USER, qbittorrentAvailable, startQbittorrent, type TestQbittorrent } from '../support/qbittorrent.js';
import { isReady, startVpnDaemon, timeUntil, vpnManifest, type VpnDaemonLab } from './daemon-lab.js';
import { vpnFixture, WG_KEY_VALUE, type VpnFixture } from './fixture.js';

const qbittorrent = integration('qbittorrent-nox + dockerd', dockerd.available && qbittorrentAvailable(), 'needs qbittorrent-nox and a Docker engine');

let qbt: TestQbittorrent | undefined;
let fx: VpnFixture | undefined;
let lab: VpnDaemonLab | undefined;

beforeAll(async () => {
  if (!qbittorrent.available) return;
  ensureGluetunStandinImage();
  qbt = await startQbittorrent();
}, 60_000);
afterAll(async () => qbt?.stop());
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
  await fx?.cleanup();
});

const overSsh = integration('sshd + qbittorrent-nox + dockerd', qbittorrent.available && sshdAvailable(), 'needs openssh-server as well');

qbittorrent.describe('VpnSidecar port forwarding', () => {
  qbittorrent.it('delivers the forwarded port to qBittorrent, and follows it when the VPN changes it', () => deliversTheForwardedPort());

  // The same with the Docker Host reached over SSH: Docker API and events through the forwarded engine socket, the
  // control server and the WebUI through the Host's connection (their 127.0.0.1 is that machine's).
  overSsh.it('the same through an SSH Docker Host (engine socket and HTTP forwarded over its connection)', async () => {
    const server = await startSshd();
    try {
      await deliversTheForwardedPort(sshLoginOf(server));
    } finally {
      await lab?.stop();
      lab = undefined;
      await server.stop();
    }
  }, 60_000);
});


async function deliversTheForwardedPort(ssh?: Record<string, string | number>): Promise<void> {
  {
    fx = vpnFixture();
    const controlPort = await freeLoopbackPort();
    const apiKey = randomBytes(12).toString('hex');
    const spec = fx.spec({}, [
      fx.dependent({
        portForwarding: { qbittorrent: { url: qbt!.url, username: QBT_USER, password: { file: fx.secret('qbt', QBT_PASSWORD) } } },
      }),
    ]);
    spec.gateway.image = GLUETUN_STANDIN_IMAGE;
    spec.gateway.env = { HTTP_CONTROL_SERVER_ADDRESS: `:${controlPort}`, STANDIN_HEALTHY_AFTER: '0.4' };
    // No HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE here: homeostat configures it from controlServer.apiKey.
    spec.gateway.controlServer = { port: controlPort, apiKey: { file: fx.secret('api.key', apiKey) }, pollInterval: '200ms' };
    lab = await startVpnDaemon({ 'vpn.yaml': vpnManifest(fx.resource, spec) }, undefined, ssh);

    // The tunnel has no forwarded port yet: Degraded, containers up.
    const waiting = await lab.waitFor(fx.resource, (v) => v.status === 'NoForwardedPort', 'Degraded/NoForwardedPort', 15_000);
    expect(waiting.ready).toBe('False');
    const gw = await fx.docker.getContainer(fx.gateway).inspect();
    const app = await fx.docker.getContainer(fx.app).inspect();
    // Started once the gateway was healthy. Docker keeps only the last 5 checks: when all of them passed, the first
    // healthy one may have been dropped (a slow machine runs more checks before this look), and the log can only say
    // the app started after the gateway did.
    const log = gw.State.Health!.Log;
    const firstHealthy = log.find((entry) => entry.ExitCode === 0)!;
    const transitionDropped = log.length >= 5 && log.every((entry) => entry.ExitCode === 0);
    if (transitionDropped) expect(Date.parse(app.State.StartedAt)).toBeGreaterThan(Date.parse(gw.State.StartedAt));
    else expect(Date.parse(app.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(firstHealthy.End));
    expect(gw.HostConfig.PortBindings).toEqual({ [`${controlPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(controlPort) }] });

    const first = 40000 + Math.floor(Math.random() * 10000);
    setForwardedPort(fx.gateway, first);
    const deliveredMs = await timeUntil('qBittorrent listens on the forwarded port', async () => (await qbt!.listenPort()) === first, 15_000);
    await lab.waitFor(fx.resource, (v) => isReady(v) && v.fields.forwardedPort === first, 'Ready with forwardedPort');

    setForwardedPort(fx.gateway, first + 1);
    const followedMs = await timeUntil('qBittorrent follows the new port', async () => (await qbt!.listenPort()) === first + 1, 15_000);
    console.log(`VpnSidecar forwarded port delivered in ${deliveredMs} ms, a change followed in ${followedMs} ms`);
    await lab.waitFor(fx.resource, (v) => v.fields.forwardedPort === first + 1, 'status follows');
    expect(lab.events(fx.resource)).toContainEqual(
      expect.objectContaining({ reason: 'PortForwarded', message: `${fx.app} listens on the VPN's forwarded port ${first + 1} (was ${first})` }),
    );

    // Rotating the API key rotates both sides: the gateway is recreated with the new key (homeostat configures
    // gluetun's auth from it), and forwarding goes on.
    const before = (await fx.docker.getContainer(fx.gateway).inspect()).Id;
    const rotated = randomBytes(12).toString('hex');
    fx.secret('api.key', rotated);
    await waitUntil('the gateway is recreated with the new key', async () => {
      const now = await fx!.docker.getContainer(fx!.gateway).inspect().catch(() => null);
      return now !== null && now.Id !== before && now.State.Running;
    }, 15_000);
    setForwardedPort(fx.gateway, first + 2);
    await timeUntil('qBittorrent follows the port of the recreated gateway', async () => (await qbt!.listenPort()) === first + 2, 10_000);
    await lab.waitFor(fx.resource, (v) => isReady(v) && v.fields.forwardedPort === first + 2, 'Ready after the key rotation', 15_000);

    // A wrong qBittorrent password: a clear condition naming the login, and the password in no message.
    fx.secret('qbt', 'not-the-password');
    lab.daemon.controller.reconcileNow(`VpnSidecar/${fx.resource}`);
    const login = await lab.waitFor(fx.resource, (v) => v.message.includes('refused the login'), 'Degraded: qBittorrent login refused');
    expect(login.message).toBe(
      `cannot deliver the forwarded port ${first + 2}: ${fx.app}: POST ${qbt!.url}/api/v2/auth/login: qBittorrent refused the login of user "admin" (HTTP 200); check the password file`,
    );

    const everything = JSON.stringify(describeResource(lab.daemon.store, 'VpnSidecar', fx.resource));
    for (const secret of [apiKey, rotated, 'not-the-password', WG_KEY_VALUE, QBT_PASSWORD]) expect(everything).not.toContain(secret);
  }
}
