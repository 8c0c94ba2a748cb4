/**
 * Durations as manifests write them (`500ms`, `30s`, `5m`, `1h`; the CRD pattern `^[0-9]+(ms|s|m|h)$`),
 * parsed to milliseconds, and milliseconds printed back for humans. `durationOutOfBounds` is the one rule for
 * the bounds a field sets in its CRD (`x-homeostat-duration: { minimum: 1s, maximum: 24h }`): `interval: 1ms` would
 * reconcile a thousand times a second, and a duration past ~24.8 days overflows a timer into firing at once.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^([0-9]+)(ms|s|m|h)$/;

/** Milliseconds, or `null` when `text` is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : null;
}

/** Milliseconds; throws when `text` is not a duration (specs are validated before this is called). */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`"${text}" is not a duration (expected a whole number followed by ms, s, m or h)`);
  return ms;
}

/** `850 ms`, `2.4 s`, `5m 3s`, `2h 5m`: readable, not parseable. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toString()} s`;
  const totalSeconds = Math.round(ms / 1_000);
  const h = Math.floor(totalSeconds / 3_600);
  const m = Math.floor((totalSeconds % 3_600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return s > 0 ? `${m}m ${s}s` : `${m}m`;
}

/** Bounds of a duration field, as durations (`1s`, `24h`). */
export interface DurationBounds {
  minimum?: string;
  maximum?: string;
}

/** Node's timers fire at once when asked to wait longer than this (2^31 - 1 ms, ~24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Why `text` is not a duration within `bounds`, in words (`must be at least 1s`), or null when it is. A duration
 * that does not parse is left to the pattern; one past what a timer can wait is refused whatever the bounds.
 */
export function durationOutOfBounds(text: string, bounds: DurationBounds): string | null {
  if (!DURATION.test(text)) return null;
  const ms = parseDuration(text);
  const maximum = bounds.maximum === undefined ? null : durationMs(bounds.maximum);
  if (ms !== null && bounds.minimum !== undefined && ms < durationMs(bounds.minimum)) return `must be at least ${bounds.minimum}`;
  if (ms === null || (maximum !== null && ms > maximum) || ms > MAX_TIMER_MS) {
    return `must be at most ${bounds.maximum ?? formatMs(MAX_TIMER_MS)}`;
  }
  return null;
}
