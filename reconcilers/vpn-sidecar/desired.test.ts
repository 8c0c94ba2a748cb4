import { describe, expect, it } from 'vitest';
import { desiredGateway, GLUETUN_AUTH_ENV } from './desired.js';
import { createOptions } from './docker-config.js';
import { sha256 } from './secrets.js';
import type { VpnSidecarSpec } from './spec.js';

const spec = (gateway: Partial<VpnSidecarSpec['gateway']> = {}): VpnSidecarSpec => ({
  host: 'local',
  adopt: false,
  gateway: {
    name: 'gluetun',
    image: 'qmcgaw/gluetun:v3.40.0',
    env: {},
    secretEnv: {},
    controlServer: { port: 8000, apiKey: { file: '/secrets/api.key' } },
    ...gateway,
  },
  dependents: [],
});

describe('the gateway gets gluetun control-server auth from controlServer.apiKey', () => {
  it('configures an apikey role holding the key, as a secret', () => {
    const desired = desiredGateway(spec(), { '/secrets/api.key': sha256('k3y') });
    expect(desired.secretEnv[GLUETUN_AUTH_ENV]).toMatchObject({ file: '/secrets/api.key', format: 'gluetun-apikey-role' });
    expect(desired.env[GLUETUN_AUTH_ENV]).toBeUndefined();
    const env = createOptions('media-vpn', desired, { '/secrets/api.key': 'k3y' }).Env!;
    expect(env).toContain(`${GLUETUN_AUTH_ENV}={"auth":"apikey","apikey":"k3y"}`);
    expect(JSON.stringify(createOptions('media-vpn', desired, { '/secrets/api.key': 'k3y' }).Labels)).not.toContain('k3y');
  });

  it('a new key recreates the gateway (spec hash changes)', () => {
    const a = desiredGateway(spec(), { '/secrets/api.key': sha256('one') });
    const b = desiredGateway(spec(), { '/secrets/api.key': sha256('two') });
    expect(a.specHash).not.toBe(b.specHash);
  });

  it('leaves auth alone when the spec configures it, or declares no key', () => {
    const own = desiredGateway(spec({ env: { [GLUETUN_AUTH_ENV]: '{"auth":"none"}' } }), { '/secrets/api.key': sha256('k') });
    expect(own.secretEnv[GLUETUN_AUTH_ENV]).toBeUndefined();
    expect(own.env[GLUETUN_AUTH_ENV]).toBe('{"auth":"none"}');
    const none = desiredGateway(spec({ controlServer: { port: 8000 } }), {});
    expect(Object.keys(none.secretEnv)).toEqual([]);
  });
});
