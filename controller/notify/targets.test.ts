import { describe, expect, it } from 'vitest';
import type { NotifierSpec } from '../../reconcilers/notifier/index.js';
import type { Occurrence } from './notification.js';
import { wants, type NotifierTarget } from './targets.js';

const target = (spec: Partial<NotifierSpec> = {}): NotifierTarget => ({
  name: 'phone',
  generation: 'g',
  spec: { type: 'ntfy', url: 'https://ntfy.sh/t', severity: 'warning', kinds: [], names: [], ...spec },
});
const o = (fields: Partial<Occurrence> = {}): Occurrence => ({
  kind: 'VpnSidecar',
  name: 'media-vpn',
  host: 'docker-ct',
  type: 'Warning',
  reason: 'KillSwitchViolation',
  message: 'stopped at once',
  time: '2026-12-01T10:00:00.000Z',
  ...fields,
});

describe('wants', () => {
  it('severity warning: Warnings and recoveries; info: everything', () => {
    expect(wants(target(), o())).toBe(true);
    expect(wants(target(), o({ type: 'Normal', reason: 'PortForwarded' }))).toBe(false);
    expect(wants(target(), o({ type: 'Normal', reason: 'Recovered', resolves: true }))).toBe(true);
    expect(wants(target({ severity: 'info' }), o({ type: 'Normal', reason: 'PortForwarded' }))).toBe(true);
  });

  it('kinds and names filter; Controller is the kind of the controller’s conditions', () => {
    expect(wants(target({ kinds: ['StorageKeepalive'] }), o())).toBe(false);
    expect(wants(target({ kinds: ['VpnSidecar'], names: ['media-vpn'] }), o())).toBe(true);
    expect(wants(target({ names: ['other'] }), o())).toBe(false);
    expect(wants(target({ kinds: ['Controller'] }), o({ kind: 'Controller', name: 'PruneHeld' }))).toBe(true);
  });

  it('never tells a Notifier about itself (a Notifier that cannot send would feed its own queue), others do hear it', () => {
    const self = o({ kind: 'Notifier', name: 'phone', reason: 'SendFailed' });
    expect(wants(target(), self)).toBe(false);
    expect(wants({ ...target(), name: 'chat' }, self)).toBe(true);
  });
});
