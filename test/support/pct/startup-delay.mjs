/**
 * What real `pct` costs before it does anything: it is a Perl program loading the Proxmox libraries, a large
 * part of a second per call. `pct` imports this module first, so the stand-in sleeps before any work of its
 * own (before reading a config or waiting for a lock), like the real one.
 *
 *   PCT_STANDIN_DELAY_MS   milliseconds, a whole number; default 300; 0 turns the delay off
 *
 * The inner run under flock (PCT_STANDIN_LOCK_HELD set) is the same `pct` call and does not pay again.
 */
export const DEFAULT_DELAY_MS = 300;

/** The delay the environment asks for, or an error message. */
export function startupDelayMs(env) {
  const text = env.PCT_STANDIN_DELAY_MS;
  if (text === undefined || text === '') return { ms: DEFAULT_DELAY_MS };
  if (!/^\d{1,7}$/.test(text)) return { error: `pct stand-in: PCT_STANDIN_DELAY_MS must be a whole number of milliseconds, got '${text}'` };
  return { ms: Number(text) };
}

if (!process.env.PCT_STANDIN_LOCK_HELD) {
  const delay = startupDelayMs(process.env);
  if ('error' in delay) {
    process.stderr.write(`${delay.error}\n`);
    process.exit(255);
  }
  if (delay.ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay.ms);
}
