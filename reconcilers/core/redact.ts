/**
 * The one redactor: a process-wide registry of every secret value currently loaded (registered by whoever reads
 * it: a secret file, a TLS key), and `redact`, which replaces any occurrence of one of them with the only form a
 * secret is ever shown in, `<secret sha256:ab12…>`. Every message that leaves the process passes through it: log
 * lines (core/log.ts), the state store's events, conditions and status (what `get`, `describe` and the HTTP API
 * read), and `errorMessage()`. A value replaces the one registered before it from the same source (a rotated
 * file); values shorter than MIN_SECRET_LENGTH are not registered (they would redact ordinary words).
 */
import { createHash } from 'node:crypto';

/** Shorter values are not redacted: "on", "1", "abc" would blank out ordinary text. */
export const MIN_SECRET_LENGTH = 4;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** How a secret is shown anywhere a human may read: the first 4 hex digits of its value's sha256. */
export function showSecret(hash: string): string {
  return `<secret sha256:${hash.slice(0, 4)}…>`;
}

/** Source (e.g. the file it was read from) → value. */
const bySource = new Map<string, string>();
/** Every form a registered value may take in text, longest first, with what replaces it. */
let patterns: Array<{ form: string; shown: string }> = [];

/** Records the value read from `source`, replacing the one read from it before. Short values are ignored. */
export function registerSecret(source: string, value: string): void {
  if (bySource.get(source) === value) return;
  if (value.length >= MIN_SECRET_LENGTH) bySource.set(source, value);
  else bySource.delete(source);
  rebuild();
}

/** Forgets what `source` held (its file is no longer referenced). */
export function forgetSecret(source: string): void {
  if (bySource.delete(source)) rebuild();
}

/** How many distinct secret values the redactor knows (for tests and metrics). */
export function knownSecretCount(): number {
  return new Set(bySource.values()).size;
}

function rebuild(): void {
  const next = new Map<string, string>();
  for (const value of bySource.values()) {
    const shown = showSecret(sha256(value));
    // As is, as a JSON string body (a message that embeds JSON), and URL-encoded (a form body or query string).
    for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
      if (form.length >= MIN_SECRET_LENGTH) next.set(form, shown);
    }
  }
  patterns = [...next].map(([form, shown]) => ({ form, shown })).sort((a, b) => b.form.length - a.form.length);
}

/** `text` with every known secret value replaced by `<secret sha256:ab12…>`. */
export function redact(text: string): string {
  let out = text;
  for (const { form, shown } of patterns) if (out.includes(form)) out = out.split(form).join(shown);
  return out;
}

const MAX_DEPTH = 10;

/**
 * A copy of `value` whose strings are redacted: plain objects and arrays are walked (keys and values), anything
 * else (a Date, a Buffer) is kept as it is. When no secret is known, `value` itself is returned.
 */
export function redactDeep<T>(value: T): T {
  return patterns.length === 0 ? value : (walk(value, 0) as T);
}

function walk(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redact(k)] = walk(v, depth + 1);
  return out;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
