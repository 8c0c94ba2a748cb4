/**
 * A Docker endpoint over TCP is TLS, as `docker --tlsverify` does it: against a real dockerd started with
 * `--tlsverify` (test/host/docker-tls-engine.ts), a Host with `tls: { ca, cert, key }` (relative paths from the
 * manifest's folder) reaches that engine, and a VpnSidecar's secret env arrives in its container; dockerd refuses a
 * client certificate from another CA, and homeostat refuses a daemon its `ca` did not sign. Plain TCP to an address
 * that is not loopback is refused before anything connects (Stalled, InsecureDockerEndpoint, naming the field).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureReason, isStalledError } from '../../reconcilers/core/errors.js';
import { createHost, isLocalDockerSocket } from '../../reconcilers/host/index.js';
import { dockerOf } from '../../reconcilers/vpn-sidecar/docker.js';
import { dockerd, TEST_APP_IMAGE, TEST_IMAGE, ensureTestImages } from '../support/docker.js';
import { integration } from '../support/integration.js';
import { isReady, startVpnDaemon, vpnManifest } from '../vpn-sidecar/daemon-lab.js';
import { vpnFixture, WG_KEY_VALUE } from '../vpn-sidecar/fixture.js';
import { startTlsDockerd, type TlsDockerd } from './docker-tls-engine.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const tlsEngine = integration('a private dockerd with --tlsverify', dockerd.available && process.getuid?.() === 0 && hasOpenssl, 'needs dockerd, root and openssl');

const ctx = { baseDir: '/', stateDir: tmpdir() };

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('a Docker endpoint over plain TCP', () => {
  it('to an address that is not loopback is refused before anything connects, naming the field', () => {
    const host = createHost('nas', { docker: { host: '192.0.2.1', port: 2375 } }, ctx);
    const err = thrown(() => host.docker());
    expect(isStalledError(err)).toBe(true);
    expect(failureReason(err)).toBe('InsecureDockerEndpoint');
    expect((err as Error).message).toMatch(/^spec\.docker\.host: Host "nas" would reach Docker at 192\.0\.2\.1:2375 over plain TCP, which sends secret env values in cleartext; give spec\.docker\.tls/);
    // What a VpnSidecar on that Host shows: Stalled with that reason (not retried against the network).
    expect(failureReason(thrown(() => dockerOf(host)))).toBe('InsecureDockerEndpoint');
    for (const address of ['docker.lan', '10.0.0.5', '::ffff:192.0.2.1', '[2001:db8::1]']) {
      expect(failureReason(thrown(() => createHost('nas', { docker: { host: address } }, ctx).docker())), address).toBe('InsecureDockerEndpoint');
    }
  });

  it('to a loopback address is accepted (it never leaves the machine); TLS on a socket is a spec error', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) {
      const docker = createHost('here', { docker: { host: address, port: 2375 } }, ctx).docker();
      expect(isLocalDockerSocket(docker)).toBe(false);
    }
    const err = thrown(() => createHost('here', { docker: { socketPath: '/var/run/docker.sock', tls: { ca: 'a', cert: 'b', key: 'c' } } }, ctx).docker());
    expect((err as Error).message).toBe('spec.docker.tls: Host "here": TLS applies to spec.docker.host (TCP); a socket needs none');
  });

  it('a TLS file that cannot be read names the field and the file (retried: it may appear)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-tls-missing-'));
    try {
      const host = createHost('nas', { docker: { host: '192.0.2.1', tls: { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } } }, { ...ctx, baseDir: dir });
      const err = thrown(() => host.docker());
      expect(isStalledError(err)).toBe(false);
      expect(failureReason(err)).toBe('DockerTlsFileUnreadable');
      expect((err as Error).message).toBe(`spec.docker.tls.ca: Host "nas": cannot read ${join(dir, 'ca.pem')} (ENOENT)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

tlsEngine.describe('a Docker endpoint over TLS (a real dockerd with --tlsverify)', () => {
  let engine: TlsDockerd;
  beforeAll(async () => {
    ensureTestImages();
    engine = await startTlsDockerd();
  }, 90_000);
  afterAll(async () => engine?.stop());

  it('reaches the engine with the declared files, relative to the manifest folder', async () => {
    const manifestDir = mkdtempSync(join(tmpdir(), 'homeostat-tls-manifests-'));
    try {
      for (const [from, to] of [[engine.client.ca, 'ca.pem'], [engine.client.cert, 'cert.pem'], [engine.client.key, 'key.pem']] as const) copyFileSync(from, join(manifestDir, to));
      const host = createHost('tls', { docker: { host: '127.0.0.1', port: engine.port, tls: { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } } }, { ...ctx, baseDir: manifestDir });
      const docker = host.docker();
      expect(String(await docker.ping())).toBe('OK');
      // The engine behind TLS is the test's private one, not the host's.
      expect((await docker.info()).ID).toBe((await engine.engine.docker.info()).ID);
      await host.close();
    } finally {
      rmSync(manifestDir, { recursive: true, force: true });
    }
  });

  it('dockerd refuses a client certificate from another CA; homeostat refuses a daemon its ca did not sign', async () => {
    const rogueClient = createHost('tls', { docker: { host: '127.0.0.1', port: engine.port, tls: { ...engine.client, cert: engine.rogue.cert, key: engine.rogue.key } } }, ctx);
    await expect(rogueClient.docker().ping()).rejects.toThrow();
    const wrongCa = createHost('tls', { docker: { host: '127.0.0.1', port: engine.port, tls: { ...engine.client, ca: engine.rogue.ca } } }, ctx);
    const err = (await wrongCa.docker().ping().catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toMatch(/CERT|SIGNATURE|ISSUER/);
  });

  it('a VpnSidecar on that Host converges through TLS, its secret env arriving in the container', async () => {
    execFileSync('sh', ['-c', 'docker save "$1" "$2" | docker -H "unix://$3" load', 'sh', TEST_IMAGE, TEST_APP_IMAGE, engine.engine.socketPath], { stdio: 'ignore' });
    const fx = vpnFixture();
    const lab = await startVpnDaemon({ 'vpn.yaml': vpnManifest(fx.resource, fx.spec()) }, { host: '127.0.0.1', port: engine.port, tls: engine.client });
    try {
      await lab.waitFor(fx.resource, isReady, 'Ready through TLS', 30_000);
      const env = (await engine.engine.docker.getContainer(fx.gateway).inspect()).Config.Env;
      expect(env).toContain(`WIREGUARD_PRIVATE_KEY=${WG_KEY_VALUE}`);
    } finally {
      await lab.stop();
      await fx.cleanup();
    }
  }, 60_000);
});
