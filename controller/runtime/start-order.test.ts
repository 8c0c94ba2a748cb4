/** startOrder: every key once; Hosts interleaved; on a Host its rarest kinds first, file order kept within a kind. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startOrder, type StartItem } from './start-order.js';

const item = (host: string, kind: string, n: number): StartItem => ({ key: `${kind}/${host}-${n}`, kind, host });

describe('startOrder', () => {
  it('interleaves the hosts and starts each host with its lone resources', () => {
    const items = [
      ...[1, 2, 3].map((n) => item('pve-1', 'LxcDevice', n)),
      item('pve-1', 'UnifiedNamespace', 1),
      ...[1, 2, 3].map((n) => item('pve-2', 'LxcDevice', n)),
      item('pve-2', 'StorageKeepalive', 1),
    ];
    expect(startOrder(items)).toEqual([
      'UnifiedNamespace/pve-1-1',
      'StorageKeepalive/pve-2-1',
      'LxcDevice/pve-1-1',
      'LxcDevice/pve-2-1',
      'LxcDevice/pve-1-2',
      'LxcDevice/pve-2-2',
      'LxcDevice/pve-1-3',
      'LxcDevice/pve-2-3',
    ]);
  });

  it('is a permutation that keeps file order within a kind on a host (property)', () => {
    const items = fc.array(fc.tuple(fc.constantFrom('', 'a', 'b', 'c'), fc.constantFrom('K1', 'K2', 'K3')), { maxLength: 60 }).map((pairs) =>
      pairs.map(([host, kind], n) => item(host, kind, n)),
    );
    fc.assert(
      fc.property(items, (list) => {
        const order = startOrder(list);
        expect([...order].sort()).toEqual(list.map((i) => i.key).sort());
        const position = new Map(order.map((key, i) => [key, i]));
        for (const a of list) {
          for (const b of list) {
            if (a.host === b.host && a.kind === b.kind && list.indexOf(a) < list.indexOf(b)) expect(position.get(a.key)!).toBeLessThan(position.get(b.key)!);
          }
        }
      }),
    );
  });
});
