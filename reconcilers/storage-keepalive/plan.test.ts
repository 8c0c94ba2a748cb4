import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InventoryItem, PlanInput } from '../core/contract.js';
import { cronFilePath, renderCronFile } from './cron.js';
import type { StorageKeepaliveChange, StorageKeepaliveObserved } from './model.js';
import { NOT_MOUNTED_RECHECK_MS, planKeepalive } from './plan.js';
import type { StorageKeepaliveSpec } from './spec.js';
import { validateSpec } from './validate.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const MIN = 60_000;
const HEARTBEAT = '/mnt/hdd/.homeostat-keepalive';
const CRON = '/etc/cron.d/homeostat-hdd';

const spec = (over: Partial<StorageKeepaliveSpec> = {}): StorageKeepaliveSpec => ({
  host: 'pve',
  path: '/mnt/hdd',
  interval: '5m',
  method: 'write-fsync',
  mode: 'controller',
  requireMountpoint: true,
  file: '.homeostat-keepalive',
  slowThreshold: '2s',
  ...over,
});

const mounted = { exists: true, isDirectory: true, isMountpoint: true };
const controllerSeen = (over: Partial<StorageKeepaliveObserved> = {}): StorageKeepaliveObserved => ({
  target: mounted,
  heartbeat: null,
  cron: null,
  ...over,
});
const cronFile = (content: string, mode = 0o644) => ({ raw: Buffer.from(content), content, mode });
const cronSeen = (file: ReturnType<typeof cronFile> | null, over: Partial<StorageKeepaliveObserved> = {}): StorageKeepaliveObserved => ({
  target: mounted,
  heartbeat: null,
  cron: { dirExists: true, file },
  ...over,
});
const input = (over: Partial<PlanInput> = {}): PlanInput => ({ name: 'hdd', now: NOW, inventory: [], memo: {}, ...over });
const file = (id: string, host = 'pve'): InventoryItem => ({ type: 'file', host, id });

describe('controller mode', () => {
  it('writes a heartbeat (and records the file) when there is none yet', () => {
    const plan = planKeepalive(spec(), controllerSeen(), input());
    expect(plan.changes).toEqual([
      expect.objectContaining({ action: 'heartbeat', path: HEARTBEAT, fsync: true, guardMountpoint: '/mnt/hdd', record: true }),
    ]);
    expect(plan.changes[0]!.target).toBe(`pve:${HEARTBEAT}`);
    expect(plan.requeueAfterMs).toBe(5 * MIN);
    expect(plan.degraded).toBeUndefined();
  });

  it('waits until the interval has passed, and says when the next one is due', () => {
    const memo = { lastHeartbeatAt: NOW - 2 * MIN, lastHeartbeatPath: HEARTBEAT };
    const plan = planKeepalive(spec(), controllerSeen({ heartbeat: { mtimeMs: NOW - 2 * MIN } }), input({ memo }));
    expect(plan).toEqual({ changes: [], requeueAfterMs: 3 * MIN });
  });

  it('is due exactly at the interval; an existing file is not recorded again', () => {
    const memo = { lastHeartbeatAt: NOW - 5 * MIN, lastHeartbeatPath: HEARTBEAT };
    const plan = planKeepalive(spec({ method: 'touch' }), controllerSeen({ heartbeat: { mtimeMs: 0 } }), input({ memo }));
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'heartbeat', fsync: false, record: false })]);
  });

  it('falls back to the file mtime when the memo is missing or about another file', () => {
    const seen = controllerSeen({ heartbeat: { mtimeMs: NOW - 4 * MIN } });
    expect(planKeepalive(spec(), seen, input()).requeueAfterMs).toBe(MIN);
    const otherMemo = { lastHeartbeatAt: NOW - 10 * MIN, lastHeartbeatPath: '/mnt/old/.homeostat-keepalive' };
    expect(planKeepalive(spec(), seen, input({ memo: otherMemo })).changes).toEqual([]);
  });

  it('a heartbeat slightly in the future counts as recent; one beyond an interval is clock skew', () => {
    expect(planKeepalive(spec(), controllerSeen({ heartbeat: { mtimeMs: NOW + MIN } }), input())).toEqual({
      changes: [],
      requeueAfterMs: 5 * MIN,
    });
    expect(planKeepalive(spec(), controllerSeen({ heartbeat: { mtimeMs: NOW + 6 * MIN } }), input()).changes).toHaveLength(1);
  });

  it('never writes to a path that is not a mountpoint: Degraded/NotMounted, checked again soon', () => {
    const seen = controllerSeen({ target: { exists: true, isDirectory: true, isMountpoint: false } });
    const plan = planKeepalive(spec(), seen, input());
    expect(plan.changes).toEqual([]);
    expect(plan.degraded).toEqual({ type: 'Degraded', reason: 'NotMounted', message: expect.stringMatching(/^\/mnt\/hdd is not a mountpoint/) });
    expect(plan.requeueAfterMs).toBe(NOT_MOUNTED_RECHECK_MS);
  });

  it('writes to a plain directory when requireMountpoint is false', () => {
    const seen = controllerSeen({ target: { exists: true, isDirectory: true, isMountpoint: false } });
    expect(planKeepalive(spec({ requireMountpoint: false }), seen, input()).changes).toEqual([
      expect.objectContaining({ action: 'heartbeat', guardMountpoint: null }),
    ]);
  });

  it('a missing path is NotMounted too, whatever requireMountpoint says', () => {
    const seen = controllerSeen({ target: { exists: false, isDirectory: false, isMountpoint: false } });
    for (const requireMountpoint of [true, false]) {
      const plan = planKeepalive(spec({ requireMountpoint }), seen, input());
      expect(plan.changes).toEqual([]);
      expect(plan.degraded?.reason).toBe('NotMounted');
      expect(plan.degraded?.message).toMatch(/^\/mnt\/hdd is missing/);
    }
  });

  it('switching from cron mode removes the cron file (and only inventory files of this host)', () => {
    const inventory = [file(CRON), file('/etc/cron.d/homeostat-hdd', 'other-host'), { type: 'directory', host: 'pve', id: '/x' }];
    const plan = planKeepalive(spec(), controllerSeen(), input({ inventory }));
    expect(plan.changes.map((c) => [c.action, c.target])).toEqual([
      ['delete', `pve:${CRON}`],
      ['heartbeat', `pve:${HEARTBEAT}`],
    ]);
  });

  it('a new path or file name removes the old heartbeat file, even while the new disk is missing', () => {
    const seen = controllerSeen({ target: { exists: true, isDirectory: true, isMountpoint: false } });
    const plan = planKeepalive(spec({ path: '/mnt/das' }), seen, input({ inventory: [file(HEARTBEAT)] }));
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'delete', item: file(HEARTBEAT) })]);
    expect(plan.degraded?.reason).toBe('NotMounted');
  });
});

describe('cron mode', () => {
  const cron = spec({ mode: 'cron' });
  const desired = renderCronFile('hdd', cron);

  it('creates the cron file, the whole content as + lines', () => {
    const plan = planKeepalive(cron, cronSeen(null), input());
    expect(plan.changes).toEqual([
      expect.objectContaining({ action: 'write', path: CRON, content: desired, mode: 0o644, target: `pve:${CRON}` }),
    ]);
    expect(plan.changes[0]!.details).toEqual(desired.trimEnd().split('\n').map((l) => `+ ${l}`));
    expect(plan.requeueAfterMs).toBeUndefined();
  });

  it('does nothing when the file is as wanted and recorded', () => {
    expect(planKeepalive(cron, cronSeen(cronFile(desired)), input({ inventory: [file(CRON)] }))).toEqual({ changes: [] });
  });

  it('plans a hand edit back, showing what it reverts', () => {
    const edited = desired.replace('*/5 * * * *', '*/30 * * * *');
    const plan = planKeepalive(cron, cronSeen(cronFile(edited)), input({ inventory: [file(CRON)] }));
    expect(plan.changes).toHaveLength(1);
    const details = plan.changes[0]!.details!;
    expect(details.filter((d) => d.startsWith('- '))).toEqual([expect.stringMatching(/^- \*\/30 \* \* \* \* root /)]);
    expect(details.filter((d) => d.startsWith('+ '))).toEqual([expect.stringMatching(/^\+ \*\/5 \* \* \* \* root /)]);
    expect(details.filter((d) => d.startsWith('  '))).toHaveLength(2);
  });

  it('fixes only the mode when only the mode is wrong; adopts an unrecorded identical file', () => {
    const plan = planKeepalive(cron, cronSeen(cronFile(desired, 0o666)), input());
    expect(plan.changes.map((c) => c.action)).toEqual(['chmod', 'adopt']);
    expect(plan.changes[0]!.summary).toContain('from 0666 to 0644');
  });

  it('still converges the cron file when the disk is not mounted (its guard protects the disk), and reports it', () => {
    const seen = cronSeen(null, { target: { exists: true, isDirectory: true, isMountpoint: false } });
    const plan = planKeepalive(cron, seen, input());
    expect(plan.changes.map((c) => c.action)).toEqual(['write']);
    expect(plan.degraded?.reason).toBe('NotMounted');
    expect(plan.requeueAfterMs).toBe(NOT_MOUNTED_RECHECK_MS);
  });

  it('switching from controller mode removes the heartbeat file', () => {
    const plan = planKeepalive(cron, cronSeen(cronFile(desired)), input({ inventory: [file(HEARTBEAT), file(CRON)] }));
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'delete', item: file(HEARTBEAT) })]);
  });

  it('reports a host without /etc/cron.d instead of creating it', () => {
    const plan = planKeepalive(cron, { target: mounted, heartbeat: null, cron: { dirExists: false, file: null } }, input());
    expect(plan.changes).toEqual([]);
    expect(plan.degraded?.reason).toBe('CronNotInstalled');
  });
});

// ---- idempotence: plan, apply to a pure model of the host, plan again: nothing left to do ----

interface World {
  observed: StorageKeepaliveObserved;
  input: PlanInput;
}

/** What apply does to the host, the inventory and the memo, as data. */
function applyToModel(s: StorageKeepaliveSpec, world: World, changes: StorageKeepaliveChange[]): World {
  let { observed } = world;
  let inventory = [...world.input.inventory];
  let memo = { ...world.input.memo };
  const same = (a: InventoryItem) => (b: InventoryItem) => a.type === b.type && a.host === b.host && a.id === b.id;
  const record = (item: InventoryItem) => {
    if (!inventory.some(same(item))) inventory = [...inventory, item];
  };
  for (const change of changes) {
    switch (change.action) {
      case 'heartbeat':
        observed = { ...observed, heartbeat: { mtimeMs: world.input.now } };
        memo = { ...memo, lastHeartbeatAt: world.input.now, lastHeartbeatPath: change.path };
        if (change.record) record(file(change.path, s.host));
        break;
      case 'write':
        observed = { ...observed, cron: { dirExists: true, file: cronFile(change.content, change.mode) } };
        record(file(change.path, s.host));
        break;
      case 'chmod':
        observed = { ...observed, cron: { dirExists: true, file: { ...observed.cron!.file!, mode: change.mode } } };
        break;
      case 'adopt':
        record(change.item);
        break;
      case 'delete':
        inventory = inventory.filter((i) => !same(change.item)(i));
        break;
    }
  }
  return { observed, input: { ...world.input, inventory, memo } };
}

const paths = ['/mnt/hdd', '/mnt/das', "/mnt/it's 100% full"];
const files = ['.homeostat-keepalive', 'beat'];
const specArb = fc
  .record({
    host: fc.constantFrom('pve', 'local'),
    path: fc.constantFrom(...paths),
    interval: fc.constantFrom('250ms', '30s', '90s', '1m', '5m', '7m', '1h', '6h', '5h'),
    method: fc.constantFrom('write-fsync' as const, 'touch' as const),
    mode: fc.constantFrom('controller' as const, 'cron' as const),
    requireMountpoint: fc.boolean(),
    file: fc.constantFrom(...files),
    slowThreshold: fc.constantFrom('2s', '500ms'),
  })
  .filter((s) => validateSpec(s).length === 0);

const worldArb = (s: StorageKeepaliveSpec): fc.Arbitrary<World> => {
  const name = 'hdd';
  const offset = fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 });
  const target = fc
    .constantFrom([false, false, false], [true, false, false], [true, true, false], [true, true, true])
    .map(([exists, isDirectory, isMountpoint]) => ({ exists: exists!, isDirectory: isDirectory!, isMountpoint: isMountpoint! }));
  const desired = s.mode === 'cron' ? renderCronFile(name, s) : '';
  const cronContent = fc.constantFrom(desired, desired.replace('root', 'nobody'), '', 'garbage\n', `${desired}# extra\n`);
  const candidates: InventoryItem[] = [
    ...paths.flatMap((p) => files.map((f) => file(`${p}/${f}`.replace('//', '/'), s.host))),
    file(cronFilePath(name), s.host),
    file(cronFilePath(name), 'elsewhere'),
    { type: 'directory', host: s.host, id: '/mnt/hdd' },
  ];
  return fc.record({
    observed: fc.record({
      target,
      heartbeat: s.mode === 'controller' ? fc.option(offset.map((o) => ({ mtimeMs: NOW + o })), { nil: null }) : fc.constant(null),
      cron:
        s.mode === 'cron'
          ? fc.record({
              dirExists: fc.boolean(),
              file: fc.option(
                fc.record({ content: cronContent, mode: fc.constantFrom(0o644, 0o600, 0o666) }).map((f) => cronFile(f.content, f.mode)),
                { nil: null },
              ),
            })
          : fc.constant(null),
    }),
    input: fc.record({
      name: fc.constant(name),
      now: fc.constant(NOW),
      inventory: fc.subarray(candidates),
      memo: fc.oneof(
        fc.constant({}),
        fc.record({ lastHeartbeatAt: offset.map((o) => NOW + o), lastHeartbeatPath: fc.constantFrom(...paths.map((p) => `${p}/.homeostat-keepalive`)) }),
      ),
    }),
  });
};

describe('idempotence (property)', () => {
  it('planning again after applying the plan finds nothing to do', () => {
    fc.assert(
      fc.property(
        specArb.chain((s) => worldArb(s).map((world) => ({ s, world }))),
        ({ s, world }) => {
          const first = planKeepalive(s, world.observed, world.input);
          const after = applyToModel(s, world, first.changes);
          const second = planKeepalive(s, after.observed, after.input);
          expect(second.changes).toEqual([]);
          expect(second.degraded).toEqual(first.degraded);
          expect(first.requeueAfterMs === undefined || first.requeueAfterMs > 0).toBe(true);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
