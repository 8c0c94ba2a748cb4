import { describe, expect, it } from 'vitest';
import { durationMs, durationOutOfBounds, formatMs, MAX_TIMER_MS, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0ms', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '5 m', '1.5s', '-1s', '5d', '5M', ' 5m', '5m ', '1e3s', '99999999999999999h'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it('durationMs throws with the offending text', () => {
    expect(() => durationMs('5 minutes')).toThrow(/"5 minutes" is not a duration/);
  });
});

describe('formatMs', () => {
  it.each([
    [12.4, '12 ms'],
    [2_430, '2.4 s'],
    [303_000, '5m 3s'],
    [300_000, '5m'],
    [7_500_000, '2h 5m'],
    [3_600_000, '1h'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});

describe('durationOutOfBounds', () => {
  it('says which bound a duration breaks, in the words of the bound', () => {
    const bounds = { minimum: '1s', maximum: '24h' };
    expect(durationOutOfBounds('1ms', bounds)).toBe('must be at least 1s');
    expect(durationOutOfBounds('25h', bounds)).toBe('must be at most 24h');
    expect(durationOutOfBounds('1s', bounds)).toBeNull();
    expect(durationOutOfBounds('24h', bounds)).toBeNull();
  });

  it('refuses what a timer cannot wait whatever the bounds, and leaves what does not parse to the pattern', () => {
    expect(durationOutOfBounds('999h', {})).toBe(`must be at most ${formatMs(MAX_TIMER_MS)}`);
    expect(durationOutOfBounds('99999999999999999999h', { maximum: '1h' })).toBe('must be at most 1h');
    expect(durationOutOfBounds('soon', { minimum: '1s' })).toBeNull();
  });
});
