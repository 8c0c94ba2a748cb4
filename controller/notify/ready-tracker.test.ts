import { describe, expect, it } from 'vitest';
import type { Condition } from '../state/conditions.js';
import { ReadyTracker, readyTransition } from './ready-tracker.js';

const at = '2026-12-01T10:00:00.000Z';
const c = (type: string, status: Condition['status'], reason = 'R', message = ''): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration: 'g',
  lastTransitionTime: at,
});
const subject = { kind: 'StorageKeepalive', name: 'hdd', host: 'pve' };
const ready = [c('Ready', 'True', 'Succeeded'), c('Stalled', 'False')];
const notReady = [c('Ready', 'False', 'NotMounted', '/mnt/hdd is not a mountpoint'), c('Stalled', 'False')];
const stalled = [c('Ready', 'False', 'CrossDevice', 'two filesystems'), c('Stalled', 'True', 'CrossDevice', 'two filesystems')];
const unknown = [c('Ready', 'Unknown', 'Suspended')];

describe('readyTransition', () => {
  it('not-Ready is a Warning with Ready’s reason; Stalled names its own; recovery resolves', () => {
    expect(readyTransition(subject, { ready: 'True', stalled: false, reason: 'Succeeded' }, notReady)).toEqual({
      ...subject,
      type: 'Warning',
      reason: 'NotMounted',
      message: 'not Ready: /mnt/hdd is not a mountpoint',
      time: at,
    });
    expect(readyTransition(subject, undefined, notReady)?.reason).toBe('NotMounted'); // a new resource failing is news
    expect(readyTransition(subject, { ready: 'False', stalled: false, reason: 'X' }, stalled)).toMatchObject({
      type: 'Warning',
      reason: 'CrossDevice',
      message: 'Stalled (needs a human): two filesystems',
    });
    expect(readyTransition(subject, { ready: 'False', stalled: true, reason: 'CrossDevice' }, ready)).toMatchObject({
      type: 'Normal',
      reason: 'Recovered',
      message: 'Ready again (was CrossDevice)',
      resolves: true,
    });
  });

  it('nothing new is nothing: still failing, first Ready, Unknown', () => {
    expect(readyTransition(subject, { ready: 'False', stalled: false, reason: 'X' }, notReady)).toBeNull();
    expect(readyTransition(subject, undefined, ready)).toBeNull();
    expect(readyTransition(subject, { ready: 'True', stalled: false, reason: 'Succeeded' }, unknown)).toBeNull();
  });
});

describe('ReadyTracker', () => {
  it('remembers the last definite Ready per resource: a suspension between failure and recovery still recovers', () => {
    const t = new ReadyTracker();
    t.seed('StorageKeepalive/hdd', ready);
    expect(t.update('StorageKeepalive/hdd', subject, notReady)?.type).toBe('Warning');
    expect(t.update('StorageKeepalive/hdd', subject, notReady)).toBeNull();
    expect(t.update('StorageKeepalive/hdd', subject, unknown)).toBeNull();
    expect(t.update('StorageKeepalive/hdd', subject, ready)?.reason).toBe('Recovered');
    t.forget('StorageKeepalive/hdd');
    expect(t.size).toBe(0);
  });
});
