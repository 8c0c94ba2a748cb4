/**
 * A gluetun API key file that no HTTP header can carry (an inner newline, a NUL, a character beyond Latin-1), end to
 * end: the real daemon, the real Docker engine and the gluetun stand-in as the gateway. Each resource shows a clear
 * error naming the field and the file (Ready=False, SecretFileInvalid), and no byte of any key is anywhere a user or
 * an attacker could read it: the SQLite files, `homeostat get -o json` and `describe` (the built CLI), the HTTP API
 * and the daemon's log. Fixing the file is picked up by the file watch, and the gateway is created.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, expect } from 'vitest';
import { createLogger } from '../../reconcilers/core/log.js';
import { BUILT_CLI, runCli } from '../support/built-cli.js';
import { dockerd, freeLoopbackPort } from '../support/docker.js';
import { ensureGluetunStandinImage, GLUETUN_STANDIN_IMAGE } from '../support/gluetun-standin.js';
import { integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';
import { startVpnDaemon, vpnManifest, type VpnDaemonLab } from '../vpn-sidecar/daemon-lab.js';
import { vpnFixture, WG_KEY_VALUE, type VpnFixture } from '../vpn-sidecar/fixture.js';

const lab9 = integration('dockerd + built CLI', dockerd.available && existsSync(BUILT_CLI), 'needs a Docker engine and `npm run build`');

const fixtures: VpnFixture[] = [];
let lab: VpnDaemonLab | undefined;

beforeAll(() => {
  if (lab9.available) ensureGluetunStandinImage();
}, 120_000);
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
  for (const fx of fixtures.splice(0)) await fx.cleanup();
});

const BAD = { newline: '\n', nul: '\u0000', euro: '€' } as const;

lab9.describe('a secret file no header can carry', () => {
  lab9.it('is a clear error naming the file, and no byte of the key reaches the store, the CLI, the API or the logs', async () => {
    // Each key is two random halves around the bad character: neither half may appear anywhere.
    const halves: string[] = [];
    const manifests: Record<string, string> = {};
    const cases: Array<{ fx: VpnFixture; keyFile: string }> = [];
    for (const [what, bad] of Object.entries(BAD)) {
      const fx = vpnFixture();
      fixtures.push(fx);
      const [a, b] = [randomBytes(10).toString('hex'), randomBytes(10).toString('hex')];
      halves.push(a, b);
      const keyFile = fx.secret(`api-${what}.key`, `${a}${bad}${b}`);
      const controlPort = await freeLoopbackPort();
      const spec = fx.spec({}, [
        fx.dependent({
          portForwarding: { qbittorrent: { url: `http://127.0.0.1:${await freeLoopbackPort()}`, username: 'admin', password: { file: fx.secret('qbt', 'adminadmin') } } },
        }),
      ]);
      spec.gateway.image = GLUETUN_STANDIN_IMAGE;
      spec.gateway.env = { HTTP_CONTROL_SERVER_ADDRESS: `:${controlPort}`, STANDIN_HEALTHY_AFTER: '0.2' };
      spec.gateway.controlServer = { port: controlPort, apiKey: { file: keyFile }, pollInterval: '200ms' };
      manifests[`vpn-${what}.yaml`] = vpnManifest(fx.resource, spec);
      cases.push({ fx, keyFile });
    }

    const logLines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    lab = await startVpnDaemon(manifests, undefined, undefined, { log: createLogger({ level: 'debug', destination }) });

    for (const { fx, keyFile } of cases) {
      const view = await lab.waitFor(fx.resource, (v) => v.status === 'SecretFileInvalid', 'Ready=False/SecretFileInvalid');
      expect(view.ready).toBe('False');
      expect(view.message).toMatch(new RegExp(`^spec\\.gateway\\.controlServer\\.apiKey: secret file ${keyFile} (must hold a single line|contains a control character|must be printable ASCII)`));
      expect(await fx.docker.listContainers({ all: true, filters: { name: [fx.suffix] } })).toEqual([]); // nothing was created with it
    }
    const api = await (await fetch(`${lab.daemon.http.url}/api/v1/resources`)).text();
    expect(api).toContain('SecretFileInvalid');

    const cli = (...args: string[]) => {
      const r = runCli(args, { ...process.env, HOMEOSTAT_STATE_DIR: lab!.lab.state });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout + r.stderr;
    };
    const get = cli('get', '-o', 'json');
    expect(get).toContain('SecretFileInvalid');
    const describes = cases.map(({ fx }) => cli('describe', `VpnSidecar/${fx.resource}`));
    for (const [i, { keyFile }] of cases.entries()) expect(describes[i]).toContain(keyFile);

    const state = readdirSync(lab.lab.state).map((f) => readFileSync(join(lab!.lab.state, f)).toString('latin1'));
    const everywhere: Record<string, string> = { api, get, describe: describes.join('\n'), logs: logLines.join(''), sqlite: state.join('\n') };
    for (const [where, text] of Object.entries(everywhere)) {
      for (const half of halves) expect(text.includes(half), `${where} holds part of a key`).toBe(false);
    }
    expect(logLines.join('')).toContain('SecretFileInvalid');
    expect(everywhere.logs).not.toContain(WG_KEY_VALUE);

    // The file is fixed: the watch on it ends the failing run, and the gateway is created.
    const { fx, keyFile } = cases[0]!;
    writeFileSync(keyFile, `${randomBytes(12).toString('hex')}\n`);
    await waitUntil('the gateway is created once the key file is fixed', async () => {
      const info = await fx.docker.getContainer(fx.gateway).inspect().catch(() => null);
      return info?.State.Running === true;
    }, 20_000);
    await lab.waitFor(fx.resource, (v) => v.status !== 'SecretFileInvalid', 'past the secret check', 20_000);
  }, 90_000);
});
