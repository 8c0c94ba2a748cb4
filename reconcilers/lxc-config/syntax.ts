/**
 * What one line of a container config is, read the way the tools that own the file read it:
 *
 * - Proxmox (`/etc/pve/lxc/<vmid>.conf`), after pve-container's `PVE::LXC::Config::parse_pct_config`:
 *   blank lines are skipped; `[pve:pending]` and `[snapname]` start sections; `#...` lines are the (URL-encoded)
 *   description, not comments; `lxc.*` keys take `key: value` or `key = value` and may repeat; every other key is
 *   `key: value` and unique per section.
 * - Plain LXC (`/var/lib/lxc/<name>/config`, lxc.container.conf(5)): `key = value`, `#` comments, no sections.
 *
 * A line neither tool understands is `other`: kept byte for byte, never interpreted.
 */

export type ConfigFlavor = 'proxmox' | 'lxc';

export type LineKind =
  | { kind: 'blank' }
  | { kind: 'section'; name: string }
  | { kind: 'description' }
  | { kind: 'comment' }
  | { kind: 'entry'; key: string; value: string; separator: ':' | '=' }
  | { kind: 'other' };

// The regular expressions of parse_pct_config, translated from Perl. Lines never contain `\n`; a trailing `\r`
// (a CRLF file) is whitespace to them, as it is to Perl's `\s*$`.
const PVE_BLANK = /^\s*$/;
const PVE_PENDING = /^\[pve:pending\]\s*$/i;
const PVE_SNAPSHOT = /^\[([a-z][a-z0-9_-]+)\]\s*$/i;
const PVE_DESCRIPTION = /^#/;
const PVE_LXC = /^(lxc\.[a-z0-9_.-]+)(:|\s*=)\s*(.*?)\s*$/;
const PVE_PROPERTY = /^([a-z][a-z_]*\d*):\s*(.+?)\s*$/;

// lxc.container.conf(5) / LXC's parse_line: optional leading blanks, `key = value`, `#` comments.
const LXC_COMMENT = /^\s*#/;
const LXC_ENTRY = /^\s*(lxc\.[A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/;

export function classifyLine(flavor: ConfigFlavor, text: string): LineKind {
  return flavor === 'proxmox' ? classifyProxmox(text) : classifyLxc(text);
}

function classifyProxmox(text: string): LineKind {
  if (PVE_BLANK.test(text)) return { kind: 'blank' };
  if (PVE_PENDING.test(text)) return { kind: 'section', name: 'pve:pending' };
  const snapshot = PVE_SNAPSHOT.exec(text);
  if (snapshot) return { kind: 'section', name: snapshot[1]! };
  if (PVE_DESCRIPTION.test(text)) return { kind: 'description' };
  const lxc = PVE_LXC.exec(text);
  if (lxc) return { kind: 'entry', key: lxc[1]!, value: lxc[3]!, separator: lxc[2] === ':' ? ':' : '=' };
  const property = PVE_PROPERTY.exec(text);
  if (property) return { kind: 'entry', key: property[1]!, value: property[2]!, separator: ':' };
  return { kind: 'other' };
}

function classifyLxc(text: string): LineKind {
  if (PVE_BLANK.test(text)) return { kind: 'blank' };
  if (LXC_COMMENT.test(text)) return { kind: 'comment' };
  const entry = LXC_ENTRY.exec(text);
  if (entry) return { kind: 'entry', key: entry[1]!, value: entry[2]!, separator: '=' };
  return { kind: 'other' };
}

/**
 * A line as the owning tool writes it: `key: value` on Proxmox (what `pct set` writes, also for `lxc.*`),
 * `key = value` on plain LXC.
 */
export function formatEntry(flavor: ConfigFlavor, key: string, value: string): string {
  return flavor === 'proxmox' ? `${key}: ${value}` : `${key} = ${value}`;
}

/** Keys that may appear more than once in a section (Proxmox: only raw `lxc.*` keys; plain LXC: any). */
export function isRepeatableKey(flavor: ConfigFlavor, key: string): boolean {
  return flavor === 'lxc' || key.startsWith('lxc.');
}
