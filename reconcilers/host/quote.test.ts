/**
 * shellQuote: property test against a real `sh`: whatever the strings, `sh -c 'printf "%s\0" ARGS'` prints
 * exactly them back.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from './quote.js';

const runThroughShell = (args: string[]): string[] => {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellCommand(args)}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
};

const nasty = fc.constantFrom("'", '"', '\n', '$', '`', '\\', ' ', '\t', '*', '?', '[', '~', '#', ';', '&', '|', '!', '(', '{', '-', '=');
const shellishString = fc.array(fc.oneof(nasty, fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 12 }).map((parts) => parts.join(''))
  .filter((s) => !s.includes('\0'));

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('/etc/pve/lxc/100.conf')).toBe('/etc/pve/lxc/100.conf');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('FOO=bar')).toBe("'FOO=bar'"); // never an assignment word
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('round-trips arbitrary strings through sh -c printf', () => {
    fc.assert(
      fc.property(fc.array(shellishString, { minLength: 1, maxLength: 6 }), (args) => {
        expect(runThroughShell(args)).toEqual(args);
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips full unicode strings', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 4 }), (args) => {
        expect(runThroughShell(args)).toEqual(args);
      }),
      { numRuns: 80 },
    );
  });
});
