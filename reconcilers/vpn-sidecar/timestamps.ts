/**
 * Docker's State.StartedAt (`2026-01-02T03:04:05.123456789Z`, trailing zeros of the fraction dropped) as
 * nanoseconds, so that "started before the gateway" is exact: string order is not, and Date keeps milliseconds.
 */

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch; 0n for Docker's "never" (0001-01-01...) or anything unparseable. */
export function startedAtNs(text: string): bigint {
  const match = RFC3339.exec(text);
  if (!match) return 0n;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (!Number.isFinite(seconds) || seconds <= 0) return 0n;
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return BigInt(seconds) * 1_000_000n + BigInt(fraction);
}

/** Milliseconds since the epoch (for "running for how long"); 0 for never. */
export function startedAtMs(text: string): number {
  return Number(startedAtNs(text) / 1_000_000n);
}
