/**
 * fast-check generators of Proxmox (`/etc/pve/lxc/<vmid>.conf`) and plain LXC configs as people and pct really
 * leave them: URL-encoded `#` descriptions, sorted `key: value` properties (mpN, netN, devN, ...), raw `lxc.*` lines
 * with both separators and duplicates, blank lines, `[pve:pending]` with `delete:`, `[snapshot]` sections, LF or
 * CRLF, with or without a final newline.
 */
import fc from 'fast-check';

/** pve's `PVE::Tools::encode_text`: UTF-8, then %XX for everything but printable ASCII other than `:` (`%` stays). */
export function encodeDescription(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => (byte >= 0x20 && byte <= 0x7e && byte !== 0x3a ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`))
    .join('');
}

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const num = (min: number, max: number) => fc.integer({ min, max });

const propertyLine: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('arch: amd64', 'ostype: debian', 'ostype: alpine', 'onboot: 1', 'unprivileged: 1', 'template: 1', 'protection: 1'),
  num(1, 16).map((n) => `cores: ${n}`),
  num(256, 65536).map((n) => `memory: ${n}`),
  num(0, 8192).map((n) => `swap: ${n}`),
  word.map((w) => `hostname: ${w}`),
  fc.constantFrom('nesting=1', 'keyctl=1,nesting=1', 'fuse=1,mknod=1').map((f) => `features: ${f}`),
  fc.tuple(num(0, 9), num(100, 999), num(1, 64)).map(([i, id, g]) => `mp${i}: local-lvm:vm-${id}-disk-${i + 1},mp=/mnt/m${i},backup=1,size=${g}G`),
  fc.tuple(num(0, 9), word).map(([i, w]) => `mp${i}: /mnt/${w},mp=/${w}`),
  fc.tuple(num(0, 3), num(1, 254)).map(
    ([i, ip]) => `net${i}: name=eth${i},bridge=vmbr0,firewall=1,hwaddr=BC:24:11:00:00:${(ip % 256).toString(16).padStart(2, '0').toUpperCase()},ip=192.168.1.${ip}/24,type=veth`,
  ),
  fc.tuple(num(0, 9), fc.constantFrom('/dev/dri/renderD128', '/dev/dri/card0', '/dev/ttyUSB0', '/dev/net/tun'), num(0, 65535)).map(
    ([i, p, gid]) => `dev${i}: ${p},gid=${gid},mode=0660`,
  ),
  fc.tuple(num(100, 999), num(1, 64)).map(([id, g]) => `rootfs: local-lvm:vm-${id}-disk-0,size=${g}G`),
  fc.array(word, { minLength: 1, maxLength: 3 }).map((tags) => `tags: ${tags.join(';')}`),
);

const separator = fc.constantFrom(': ', ' = ', '=', ' =', ':', ':  ');
const lxcKeyValue: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constant('lxc.cgroup2.devices.allow'), fc.tuple(fc.constantFrom('c', 'b'), num(1, 260), fc.oneof(num(0, 255).map(String), fc.constant('*'))).map(([t, a, b]) => `${t} ${a}:${b} rwm`)),
  fc.tuple(fc.constant('lxc.mount.entry'), fc.constantFrom('/dev/dri dev/dri none bind,optional,create=dir', '/dev/net/tun dev/net/tun none bind,create=file', '/mnt/a mnt/a none rbind,create=dir 0 0')),
  fc.tuple(fc.constant('lxc.idmap'), fc.constantFrom('u 0 100000 1000', 'g 0 100000 44', 'g 44 44 1', 'u 1001 101001 64535')),
  fc.tuple(fc.constant('lxc.apparmor.profile'), fc.constant('unconfined')),
  fc.tuple(fc.constant('lxc.cap.drop'), fc.constantFrom('', 'sys_time')),
);
const lxcLine = fc.tuple(lxcKeyValue, separator).map(([[k, v], sep]) => `${k}${sep}${v}`);
const blankLine = fc.constantFrom('', ' ', '\t');
const descriptionLines = fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 4 }).map((lines) => lines.map((l) => `#${encodeDescription(l)}`));

const sectionBody = fc.tuple(descriptionLines, fc.array(fc.oneof({ weight: 3, arbitrary: propertyLine }, { weight: 2, arbitrary: lxcLine }, { weight: 1, arbitrary: blankLine }), { maxLength: 12 }))
  .map(([d, rest]) => [...d, ...rest]);

const snapshotName = fc.stringMatching(/^[a-z][a-z0-9_-]{1,15}$/);

export interface GeneratedConfig {
  text: string;
  /** Whether a section header appears (the main section is then not the whole file). */
  hasSections: boolean;
}

/** A whole Proxmox config as text. */
export const proxmoxConfigText: fc.Arbitrary<GeneratedConfig> = fc
  .record({
    main: sectionBody,
    pending: fc.option(
      fc.tuple(fc.array(propertyLine, { maxLength: 4 }), fc.option(fc.constantFrom('delete: swap', 'delete: mp0,dev1'), { nil: undefined })),
      { nil: undefined },
    ),
    snapshots: fc.uniqueArray(
      fc.tuple(snapshotName, sectionBody, num(1_600_000_000, 1_800_000_000)),
      { maxLength: 3, selector: ([name]) => name },
    ),
    blankBeforeHeaders: fc.boolean(),
    eol: fc.constantFrom('\n', '\r\n'),
    finalNewline: fc.boolean(),
  })
  .map(({ main, pending, snapshots, blankBeforeHeaders, eol, finalNewline }) => {
    const lines = [...main];
    const header = (h: string) => {
      if (blankBeforeHeaders) lines.push('');
      lines.push(h);
    };
    if (pending) {
      header('[pve:pending]');
      lines.push(...pending[0], ...(pending[1] ? [pending[1]] : []));
    }
    for (const [name, body, time] of snapshots) {
      header(`[${name}]`);
      lines.push(...body, `snaptime: ${time}`);
    }
    let text = lines.map((l) => l + eol).join('');
    if (!finalNewline && text.endsWith(eol)) text = text.slice(0, -eol.length);
    return { text, hasSections: pending !== undefined || snapshots.length > 0 };
  });

/** A plain LXC config (`key = value`, `#` comments) as text. */
export const lxcConfigText: fc.Arbitrary<string> = fc
  .record({
    lines: fc.array(
      fc.oneof(
        fc.tuple(lxcKeyValue, fc.constantFrom(' = ', '=', ' =  ')).map(([[k, v], sep]) => `${k}${sep}${v}`),
        fc.string({ maxLength: 20 }).map((s) => `# ${s.replace(/[\r\n]/g, ' ')}`),
        fc.constantFrom('lxc.net.0.type = empty', 'lxc.rootfs.path = dir:/var/lib/lxc/c1/rootfs', 'lxc.uts.name = "c1"', '  lxc.tty.max = 5'),
        blankLine,
      ),
      { maxLength: 15 },
    ),
    eol: fc.constantFrom('\n', '\r\n'),
    finalNewline: fc.boolean(),
  })
  .map(({ lines, eol, finalNewline }) => {
    let text = lines.map((l) => l + eol).join('');
    if (!finalNewline && text.endsWith(eol)) text = text.slice(0, -eol.length);
    return text;
  });

/** Lines homeostat might add to a Proxmox main section (never blank, never containing a line break). */
export const managedProxmoxLines: fc.Arbitrary<string[]> = fc.uniqueArray(
  fc.oneof(
    fc.tuple(fc.constantFrom('c', 'b'), num(1, 260), num(0, 1_048_575)).map(([t, a, b]) => `lxc.cgroup2.devices.allow: ${t} ${a}:${b} rwm`),
    fc.constantFrom('/dev/dri', '/dev/net/tun', '/dev/ttyUSB0', '/dev/bus/usb/001/002').map((p) => `lxc.mount.entry: ${p} ${p.slice(1)} none bind,create=file`),
    fc.tuple(num(0, 255), fc.constantFrom('/dev/dri/renderD128', '/dev/net/tun')).map(([i, p]) => `dev${i}: ${p},gid=104`),
  ),
  { minLength: 1, maxLength: 6 },
);

export const managedLxcLines: fc.Arbitrary<string[]> = managedProxmoxLines.map((lines) =>
  lines.filter((l) => l.startsWith('lxc.')).map((l) => l.replace(': ', ' = ')),
);
