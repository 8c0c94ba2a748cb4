import { describe, expect, it } from 'vitest';
import { Grouping } from './grouping.js';

const MIN = 60_000;

describe('Grouping', () => {
  it('sends the first, counts repeats within the window, and the next message after it carries the count', () => {
    const g = new Grouping(10 * MIN);
    expect(g.offer('phone', 'VpnSidecar/vpn', 'GatewayNotReady', 0)).toEqual({ send: true, count: 1 });
    expect(g.offer('phone', 'VpnSidecar/vpn', 'GatewayNotReady', 1 * MIN)).toEqual({ send: false, grouped: 1 });
    expect(g.offer('phone', 'VpnSidecar/vpn', 'GatewayNotReady', 9 * MIN)).toEqual({ send: false, grouped: 2 });
    expect(g.offer('phone', 'VpnSidecar/vpn', 'GatewayNotReady', 10 * MIN)).toEqual({ send: true, count: 3 });
    expect(g.offer('phone', 'VpnSidecar/vpn', 'GatewayNotReady', 21 * MIN)).toEqual({ send: true, count: 1 });
  });

  it('groups per Notifier, resource and reason', () => {
    const g = new Grouping(10 * MIN);
    expect(g.offer('phone', 'VpnSidecar/vpn', 'A', 0).send).toBe(true);
    expect(g.offer('phone', 'VpnSidecar/vpn', 'B', 0).send).toBe(true);
    expect(g.offer('chat', 'VpnSidecar/vpn', 'A', 0).send).toBe(true);
    expect(g.offer('phone', 'VpnSidecar/other', 'A', 0).send).toBe(true);
    expect(g.offer('phone', 'VpnSidecar/vpn', 'A', 1).send).toBe(false);
  });

  it('a recovery (forget) makes the next failure news at once; a gone Notifier leaves nothing behind', () => {
    const g = new Grouping(10 * MIN);
    g.offer('phone', 'StorageKeepalive/hdd', 'NotMounted', 0);
    g.forget('StorageKeepalive/hdd');
    expect(g.offer('phone', 'StorageKeepalive/hdd', 'NotMounted', 1)).toEqual({ send: true, count: 1 });
    g.offer('chat', 'StorageKeepalive/hdd', 'NotMounted', 1);
    g.forgetNotifier('phone');
    expect(g.entries).toBe(1);
  });

  it('stays within its bound, dropping the resources offered least recently', () => {
    const g = new Grouping(10 * MIN, 100);
    for (let i = 0; i < 1000; i++) g.offer('phone', `StorageKeepalive/r${i}`, 'X', i);
    expect(g.entries).toBeLessThanOrEqual(100);
    expect(g.offer('phone', 'StorageKeepalive/r999', 'X', 1000).send).toBe(false); // the latest are kept
    expect(g.offer('phone', 'StorageKeepalive/r0', 'X', 1000).send).toBe(true);
  });
});
