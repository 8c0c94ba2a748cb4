import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lockOf, mainEntries, mainValue, parseConfig, sectionEntries, sectionNames } from './document.js';
import { dominantEnding, joinLines, splitLines } from './lines.js';
import { classifyLine } from './syntax.js';

describe('lines', () => {
  it('split then join gives back every string exactly (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r', '#', 'é', '[') }), (text) => {
        expect(joinLines(splitLines(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('remembers each ending, and a last line without one', () => {
    expect(splitLines('a\r\nb\nc')).toEqual([
      { text: 'a', eol: '\r\n' },
      { text: 'b', eol: '\n' },
      { text: 'c', eol: '' },
    ]);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('\n')).toEqual([{ text: '', eol: '\n' }]);
    expect(dominantEnding(splitLines('a\r\nb\r\nc\n'))).toBe('\r\n');
    expect(dominantEnding(splitLines('a'))).toBe('\n');
  });
});

describe('Proxmox lines, as parse_pct_config reads them', () => {
  it.each([
    ['lxc.cgroup2.devices.allow: c 226:0 rwm', { kind: 'entry', key: 'lxc.cgroup2.devices.allow', value: 'c 226:0 rwm', separator: ':' }],
    ['lxc.cgroup2.devices.allow = c 226:0 rwm  ', { kind: 'entry', key: 'lxc.cgroup2.devices.allow', value: 'c 226:0 rwm', separator: '=' }],
    ['lxc.mount.entry=/dev/net/tun dev/net/tun none bind,create=file', { kind: 'entry', key: 'lxc.mount.entry', value: '/dev/net/tun dev/net/tun none bind,create=file', separator: '=' }],
    ['lxc.cap.drop:', { kind: 'entry', key: 'lxc.cap.drop', value: '', separator: ':' }],
    ['dev0: /dev/dri/renderD128,gid=104', { kind: 'entry', key: 'dev0', value: '/dev/dri/renderD128,gid=104', separator: ':' }],
    ['mp0: /mnt/hdd/data,mp=/data', { kind: 'entry', key: 'mp0', value: '/mnt/hdd/data,mp=/data', separator: ':' }],
    ['lock: backup', { kind: 'entry', key: 'lock', value: 'backup', separator: ':' }],
    ['#Media%3A Jellyfin', { kind: 'description' }],
    ['#', { kind: 'description' }],
    ['', { kind: 'blank' }],
    ['  \t', { kind: 'blank' }],
    ['[pve:pending]', { kind: 'section', name: 'pve:pending' }],
    ['[PVE:Pending]  ', { kind: 'section', name: 'pve:pending' }],
    ['[before-upgrade]', { kind: 'section', name: 'before-upgrade' }],
    ['[x]', { kind: 'other' }],
    ['[1abc]', { kind: 'other' }],
    ['lxc.foo : bar', { kind: 'other' }],
    ['LXC.foo: bar', { kind: 'other' }],
    ['cores:', { kind: 'other' }],
    ['garbage', { kind: 'other' }],
  ])('%j', (text, kind) => {
    expect(classifyLine('proxmox', text)).toEqual(kind);
  });

  it('a CRLF line reads like its LF twin', () => {
    const doc = parseConfig('proxmox', 'lxc.mount.entry: a b none bind\r\n[snap]\r\n');
    expect(mainEntries(doc)[0]).toMatchObject({ key: 'lxc.mount.entry', value: 'a b none bind' });
    expect(sectionNames(doc)).toEqual(['snap']);
  });

  it('splits sections: only lines before the first header are the main section', () => {
    const doc = parseConfig(
      'proxmox',
      ['#d', 'cores: 1', 'lock: backup', '', '[pve:pending]', 'cores: 2', 'delete: swap', '', '[snap1]', 'cores: 3', 'lock: snapshot', ''].join('\n'),
    );
    expect(doc.mainEnd).toBe(4);
    expect(mainEntries(doc).map((e) => e.key)).toEqual(['cores', 'lock']);
    expect(sectionEntries(doc, 'pve:pending').map((e) => `${e.key}=${e.value}`)).toEqual(['cores=2', 'delete=swap']);
    expect(mainValue(doc, 'cores')).toBe('1');
    expect(lockOf(doc)).toBe('backup');
    expect(lockOf(parseConfig('proxmox', '[s1]\nlock: backup\n'))).toBeNull();
  });
});

describe('plain LXC lines', () => {
  it.each([
    ['lxc.net.0.type = empty', { kind: 'entry', key: 'lxc.net.0.type', value: 'empty', separator: '=' }],
    ['  lxc.tty.max=5', { kind: 'entry', key: 'lxc.tty.max', value: '5', separator: '=' }],
    ['# lxc.include = x', { kind: 'comment' }],
    ['  #x', { kind: 'comment' }],
    ['lxc.net.0.type: empty', { kind: 'other' }],
    ['[x]', { kind: 'other' }],
  ])('%j', (text, kind) => {
    expect(classifyLine('lxc', text)).toEqual(kind);
  });

  it('has no sections and no lock', () => {
    const doc = parseConfig('lxc', 'lxc.a = 1\n[snap]\nlock = backup\n');
    expect(doc.mainEnd).toBe(3);
    expect(lockOf(doc)).toBeNull();
  });
});
