/**
 * Reads a Proxmox CT config (`/etc/pve/lxc/<vmid>.conf`) the way pve-container's `parse_pct_config` does,
 * for the MAIN section only: everything before the first `[pve:pending]` / `[snapshot]` header. Pure.
 *
 * - blank lines are skipped; `#` lines are the URL-encoded description;
 * - `lxc.*` keys are an ordered list (duplicates allowed), written `lxc.x: v` or `lxc.x = v`;
 * - other keys are `key: value`, last one wins; lines that match nothing produce Proxmox's warning.
 */

const SECTION_HEADER = /^\[(?:pve:pending|[a-z][a-z0-9_-]+)\]\s*$/i;
const LXC_LINE = /^(lxc\.[a-z0-9_\-.]+)(:|\s*=)\s*(.*?)\s*$/;
const DESCRIPTION_LINE = /^(description):\s*(.*\S)\s*$/;
const KEY_LINE = /^([a-z][a-z_]*\d*):\s*(.+?)\s*$/;

/** The lines of the main section (before the first section header). */
export function mainSectionLines(text) {
  const lines = [];
  for (const line of text.split('\n')) {
    if (SECTION_HEADER.test(line)) break;
    lines.push(line);
  }
  return lines;
}

/** `PVE::Tools::decode_text`: %XX escapes, then UTF-8. */
export function decodeText(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `PVE::Tools::encode_text`: escapes control and high-bit bytes and ':' as %XX. */
export function encodeText(text) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const safe = (byte >= 0x20 && byte <= 0x39) || (byte >= 0x3b && byte <= 0x7e);
    out += safe ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Parses the main section. Returns `{ lxc: [key, value][], keys: Map<string,string>, description, warnings }`.
 */
export function parseMainSection(text, vmid) {
  const conf = { lxc: [], keys: new Map(), description: '', warnings: [] };
  for (const line of mainSectionLines(text)) {
    if (/^\s*$/.test(line)) continue;
    if (line.startsWith('#')) {
      conf.description += `${decodeText(line.slice(1))}\n`;
      continue;
    }
    const lxc = LXC_LINE.exec(line);
    if (lxc) {
      conf.lxc.push([lxc[1], lxc[3]]);
      continue;
    }
    const description = DESCRIPTION_LINE.exec(line);
    if (description) {
      conf.description += decodeText(description[2]);
      continue;
    }
    const key = KEY_LINE.exec(line);
    if (key && key[1] === 'delete') {
      conf.warnings.push(`vm ${vmid} - property 'delete' is only allowed in [pve:pending]`);
    } else if (key) {
      conf.keys.set(key[1], key[2]);
    } else {
      conf.warnings.push(`vm ${vmid} - unable to parse config: ${line}`);
    }
  }
  return conf;
}

/** What `pct config <vmid>` prints for a parsed main section (sorted keys, description encoded, then lxc.*). */
export function formatConfig(conf) {
  const entries = [...conf.keys.entries()];
  if (conf.description) entries.push(['description', encodeText(conf.description)]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = entries.map(([k, v]) => `${k}: ${v}`);
  for (const [k, v] of conf.lxc) lines.push(`${k}: ${v}`);
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * Parses a Proxmox property string (`a,b=c,...`) whose first bare item is `defaultKey`.
 * Returns a Map; throws an Error naming the problem.
 */
export function parsePropertyString(value, defaultKey, allowedKeys) {
  const result = new Map();
  for (const part of value.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? defaultKey : part.slice(0, eq);
    const val = eq < 0 ? part : part.slice(eq + 1);
    if (!allowedKeys.includes(key)) throw new Error(`invalid format - unknown property '${key}'`);
    if (result.has(key)) throw new Error(`invalid format - duplicate key in comma-separated list property: ${key}`);
    result.set(key, val);
  }
  return result;
}
