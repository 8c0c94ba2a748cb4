/**
 * Durations as manifests write them (`500ms`, `30s`, `5m`, `1h`; the CRD pattern `^[0-9]+(ms|s|m|h)$`),
 * parsed to milliseconds, and milliseconds printed back for humans.
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
