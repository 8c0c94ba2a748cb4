import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lockOf, mainEntries, parseConfig, sectionNames } from './document.js';
import { editMainSection } from './edit.js';
import { joinLines } from './lines.js';
import type { ConfigFlavor } from './syntax.js';

const corpusDir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const files = readdirSync(corpusDir).filter((f) => f.endsWith('.conf') || f.endsWith('.config'));
const flavorOf = (file: string): ConfigFlavor => (file.endsWith('.conf') ? 'proxmox' : 'lxc');

/** What LxcDevice writes for /dev/net/tun and QuickSync, and style dev, in each flavor. */
function managedLines(flavor: ConfigFlavor): string[] {
  const line = (key: string, value: string) => (flavor === 'proxmox' ? `${key}: ${value}` : `${key} = ${value}`);
  return [
    line('lxc.cgroup2.devices.allow', 'c 10:200 rwm'),
    line('lxc.mount.entry', '/dev/net/tun dev/net/tun none bind,create=file'),
    line('lxc.cgroup2.devices.allow', 'c 226:129 rwm'),
    ...(flavor === 'proxmox' ? ['dev7: /dev/dri/renderD129,gid=104'] : []),
  ];
}

describe('corpus of real-world configs', () => {
  it('has Proxmox and plain LXC files', () => {
    expect(files.filter((f) => flavorOf(f) === 'proxmox').length).toBeGreaterThanOrEqual(10);
    expect(files.filter((f) => flavorOf(f) === 'lxc').length).toBeGreaterThanOrEqual(2);
  });

  describe.each(files)('%s', (file) => {
    const flavor = flavorOf(file);
    const raw = readFileSync(join(corpusDir, file));
    const text = raw.toString('utf8');

    it('parses without losing a byte', () => {
      const doc = parseConfig(flavor, text);
      expect(Buffer.from(joinLines(doc.lines), 'utf8').equals(raw)).toBe(true);
      if (flavor === 'proxmox') expect(doc.kinds.filter((k) => k.kind === 'other')).toEqual([]);
    });

    it('round-trips unchanged outside the managed lines: add, then remove, gives back the bytes', () => {
      const managed = managedLines(flavor);
      const doc = parseConfig(flavor, text);
      const added = editMainSection(doc, { add: managed, remove: [] }).text;
      const after = parseConfig(flavor, added);
      expect(mainEntries(after).slice(-managed.length).map((e) => e.text)).toEqual(managed);
      expect(joinLines(after.lines.slice(after.mainEnd))).toBe(joinLines(doc.lines.slice(doc.mainEnd)));
      expect(sectionNames(after)).toEqual(sectionNames(doc));
      const back = editMainSection(after, { add: [], remove: managed });
      expect(back.missing).toEqual([]);
      expect(Buffer.from(back.text, 'utf8').equals(raw)).toBe(true);
    });
  });

  it('reads the things the reconcilers care about', () => {
    const read = (f: string) => parseConfig(flavorOf(f), readFileSync(join(corpusDir, f), 'utf8'));
    expect(lockOf(read('110-locked-backup.conf'))).toBe('backup');
    expect(lockOf(read('102-snapshots.conf'))).toBeNull();
    expect(sectionNames(read('104-pending-and-snapshots.conf'))).toEqual(['pve:pending', 'working']);
    expect(mainEntries(read('106-human-edited.conf')).filter((e) => e.key === 'lxc.cgroup2.devices.allow').map((e) => e.value)).toEqual([
      'a',
      'c 10:200 rwm',
      'c 10:200 rwm',
    ]);
    const crlf = read('crlf-107.conf');
    expect(crlf.lines.every((l) => l.eol === '\r\n')).toBe(true);
    expect(mainEntries(crlf).at(-1)?.value).toBe('c 226:128 rwm');
  });
});
