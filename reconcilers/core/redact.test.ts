/**
 * The redactor: every registered value (as is, JSON-escaped, URL-encoded) becomes `<secret sha256:ab12…>`, a
 * rotated value replaces the old one, short values are never registered, and objects are redacted deeply
 * (strings, keys, arrays) without touching what is not a plain object.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { forgetSecret, knownSecretCount, redact, redactDeep, registerSecret, sha256, showSecret } from './redact.js';

const sources: string[] = [];
function register(source: string, value: string) {
  sources.push(source);
  registerSecret(source, value);
}
afterEach(() => sources.splice(0).forEach(forgetSecret));

describe('redact', () => {
  it('replaces every form of a registered value with its showSecret form', () => {
    const key = 'k3y "with" a/slash&more';
    register('/s/api.key', key);
    const shown = showSecret(sha256(key));
    expect(redact(`header ${key} failed`)).toBe(`header ${shown} failed`);
    expect(redact(JSON.stringify({ apikey: key }))).toBe(`{"apikey":"${shown}"}`);
    expect(redact(`password=${encodeURIComponent(key)}`)).toBe(`password=${shown}`);
    expect(redact(`${key}${key}`)).toBe(`${shown}${shown}`);
  });

  it('a rotated file replaces its old value; forgetting a source forgets its value; short values are not registered', () => {
    register('/s/wg.key', 'first-value');
    register('/s/wg.key', 'second-value');
    expect(redact('first-value second-value')).toBe(`first-value ${showSecret(sha256('second-value'))}`);
    forgetSecret('/s/wg.key');
    expect(redact('second-value')).toBe('second-value');
    const before = knownSecretCount();
    register('/s/short', 'abc');
    expect(knownSecretCount()).toBe(before);
    expect(redact('abc')).toBe('abc');
  });

  it('redactDeep walks plain objects and arrays, keeps other objects, and returns the value itself when nothing is known', () => {
    const untouched = { a: 'x' };
    expect(redactDeep(untouched)).toBe(untouched);
    register('/s/p', 'hunter22');
    const when = new Date(0);
    const out = redactDeep({ message: 'login hunter22', list: ['hunter22', 1, null], hunter22: true, when, nested: { deeper: { s: 'hunter22' } } });
    const shown = showSecret(sha256('hunter22'));
    expect(out).toEqual({ message: `login ${shown}`, list: [shown, 1, null], [shown]: true, when, nested: { deeper: { s: shown } } });
    expect(out.when).toBe(when);
  });
});
