import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  lxcConfigText,
  managedLxcLines,
  managedProxmoxLines,
  proxmoxConfigText,
} from '../../test/lxc-device/config-arbitraries.js';
import { mainEntries, parseConfig } from './document.js';
import { editMainSection } from './edit.js';
import { joinLines, splitLines } from './lines.js';
import type { ConfigFlavor } from './syntax.js';

/** The file from its first section header on (empty when it has none). */
function tailFromFirstHeader(flavor: ConfigFlavor, text: string): string {
  const doc = parseConfig(flavor, text);
  return joinLines(doc.lines.slice(doc.mainEnd));
}

/** The line texts of `after` with the added ones taken out (the last occurrence in the main section, per added line). */
function withoutAdded(flavor: ConfigFlavor, afterText: string, added: readonly string[]): string[] {
  const after = parseConfig(flavor, afterText);
  const main = after.lines.slice(0, after.mainEnd).map((l) => l.text);
  for (const line of added) main.splice(main.lastIndexOf(line), 1);
  return [...main, ...after.lines.slice(after.mainEnd).map((l) => l.text)];
}

describe('editing the main section (properties over generated configs)', () => {
  it('Proxmox: adding managed lines then removing them gives back the original bytes', () => {
    fc.assert(
      fc.property(proxmoxConfigText, managedProxmoxLines, ({ text }, managed) => {
        const added = editMainSection(parseConfig('proxmox', text), { add: managed, remove: [] }).text;
        const removed = editMainSection(parseConfig('proxmox', added), { add: [], remove: managed });
        expect(removed.missing).toEqual([]);
        expect(removed.text).toBe(text);
      }),
      { numRuns: 1500 },
    );
  });

  it('Proxmox: added lines land in the main section, everything else keeps its bytes and order', () => {
    fc.assert(
      fc.property(proxmoxConfigText, managedProxmoxLines, ({ text, hasSections }, managed) => {
        const before = parseConfig('proxmox', text);
        const added = editMainSection(before, { add: managed, remove: [] }).text;
        const after = parseConfig('proxmox', added);
        // Pending changes and snapshots: byte for byte.
        expect(tailFromFirstHeader('proxmox', added)).toBe(tailFromFirstHeader('proxmox', text));
        expect(after.entries.filter((e) => e.section !== '')).toEqual(
          before.entries.filter((e) => e.section !== '').map((e) => ({ ...e, index: e.index + managed.length })),
        );
        // The new lines are main-section entries, after every entry that was there.
        const mainTexts = mainEntries(after).map((e) => e.text);
        expect(mainTexts.slice(-managed.length)).toEqual(managed);
        expect(mainTexts.slice(0, -managed.length)).toEqual(mainEntries(before).map((e) => e.text));
        // Every other line is untouched, in place.
        expect(withoutAdded('proxmox', added, managed)).toEqual(splitLines(text).map((l) => l.text));
        if (hasSections) expect(added.endsWith(managed.at(-1)!)).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });

  it('Proxmox: removing a line removes exactly that line, and a human duplicate above it stays', () => {
    fc.assert(
      fc.property(proxmoxConfigText, managedProxmoxLines, ({ text }, managed) => {
        const line = managed[0]!;
        const once = editMainSection(parseConfig('proxmox', text), { add: [line], remove: [] }).text;
        const twice = editMainSection(parseConfig('proxmox', once), { add: [line], remove: [] }).text;
        const back = editMainSection(parseConfig('proxmox', twice), { add: [], remove: [line] }).text;
        expect(back).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('plain LXC: adding then removing gives back the original bytes', () => {
    fc.assert(
      fc.property(lxcConfigText, managedLxcLines, (text, managed) => {
        const added = editMainSection(parseConfig('lxc', text), { add: managed, remove: [] }).text;
        expect(withoutAdded('lxc', added, managed)).toEqual(splitLines(text).map((l) => l.text));
        const after = mainEntries(parseConfig('lxc', added)).map((e) => e.text);
        for (const line of managed) expect(after).toContain(line);
        expect(editMainSection(parseConfig('lxc', added), { add: [], remove: managed }).text).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('never lets a line break into a config line', () => {
    expect(() => editMainSection(parseConfig('proxmox', 'cores: 1\n'), { add: ['lxc.a: 1\n[x]'], remove: [] })).toThrow(/line break/);
  });

  it('reports lines it was asked to remove that are not there, and changes nothing for them', () => {
    const text = 'cores: 1\n\n[snap]\nlxc.mount.entry: a b none bind\n';
    const result = editMainSection(parseConfig('proxmox', text), { add: [], remove: ['lxc.mount.entry: a b none bind'] });
    expect(result).toEqual({ text, missing: ['lxc.mount.entry: a b none bind'] });
  });

  it('inserts after the last non-blank main line, with the line ending the file uses', () => {
    const edit = (text: string) => editMainSection(parseConfig('proxmox', text), { add: ['lxc.x: 1'], remove: [] }).text;
    expect(edit('a: 1\n\n[s1]\nb: 2\n')).toBe('a: 1\nlxc.x: 1\n\n[s1]\nb: 2\n');
    expect(edit('a: 1\r\n\r\n[s1]\r\n')).toBe('a: 1\r\nlxc.x: 1\r\n\r\n[s1]\r\n');
    expect(edit('a: 1')).toBe('a: 1\nlxc.x: 1');
    expect(edit('')).toBe('lxc.x: 1\n');
    expect(edit('[s1]\nb: 2\n')).toBe('lxc.x: 1\n[s1]\nb: 2\n');
  });
});
