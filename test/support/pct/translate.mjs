/**
 * Turns a parsed Proxmox CT main section into the LXC lines Proxmox would hand to LXC, for the parts the
 * stand-in emulates. Pure: all file system questions go through `ctx`.
 *
 *   devN: /dev/x[,mode=0660,uid=,gid=,deny-write=1] -> devices allow line + bind mount of a private node
 *   mpN:  /host/dir,mp=/ct/dir[,ro=1]              -> lxc.mount.entry = <host dir> ct/dir none bind,create=dir 0 0
 *   lxc.*                                          -> `lxc.x = v`, verbatim and in order, after the above
 *
 * Proxmox 8 hosts are pure cgroup v2. When this machine's LXC enforces devices through cgroup v1
 * (`ctx.cgroupV1Devices`), the stand-in emulates a cgroup-v2 Proxmox: `lxc.cgroup2.devices.allow|deny`
 * become `lxc.cgroup.devices.allow|deny` (the keys LXC enforces here), and legacy `lxc.cgroup.*` keys are
 * ignored, as LXC ignores them on a pure cgroup v2 host. `lxc.net.*` is dropped (test containers have no
 * network). Absolute host paths resolve through `ctx.resolveHostPath` (sandbox root first).
 *
 * ctx = { vmid, cgroupV1Devices, resolveHostPath(p) -> string, statPath(real) -> { kind: 'char'|'block'|'dir'|'file'|'other', major, minor } | null,
 *         devNodePath(key) -> string }
 * Returns { lines, nodes: [{ key, path, type, major, minor, mode, uid, gid }], warnings }; throws Error on a config Proxmox would refuse to start.
 */
import { parsePropertyString } from './pve-config.mjs';

const DEV_KEYS = ['path', 'mode', 'uid', 'gid', 'deny-write'];
const MP_KEYS = ['volume', 'mp', 'ro', 'backup', 'size', 'acl', 'quota', 'replicate', 'shared', 'mountoptions'];
const TRUE = /^(1|on|yes|true)$/i;

const byIndex = (prefix) => (conf) =>
  [...conf.keys.entries()]
    .filter(([k]) => new RegExp(`^${prefix}\\d+$`).test(k))
    .sort(([a], [b]) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));

const hasDotComponent = (path) => /\/\.\.?(?:\/|$)/.test(path);

/** One raw `lxc.*` entry as the line LXC gets on this machine. */
export function lxcLine(key, value, ctx) {
  if (key.startsWith('lxc.net.')) return `# ignored by the pct stand-in (test containers have no network): ${key} = ${value}`;
  if (ctx.cgroupV1Devices) {
    const device = /^lxc\.cgroup2\.(devices\.(?:allow|deny))$/.exec(key);
    if (device) return `lxc.cgroup.${device[1]} = ${value}`;
    if (key.startsWith('lxc.cgroup.')) return `# ignored (cgroup v1 key; the emulated Proxmox host is cgroup v2): ${key} = ${value}`;
  }
  if (key === 'lxc.mount.entry') {
    const source = /^\S+/.exec(value)?.[0] ?? '';
    if (source.startsWith('/')) return `${key} = ${ctx.resolveHostPath(source)}${value.slice(source.length)}`;
  }
  return `${key} = ${value}`;
}

function deviceEntry(key, value, ctx) {
  let props;
  try {
    props = parsePropertyString(value, 'path', DEV_KEYS);
  } catch (error) {
    throw new Error(`${key}: ${error.message}`);
  }
  const path = props.get('path');
  if (path === undefined) throw new Error('Path has to be defined');
  if (!path.startsWith('/dev/') || hasDotComponent(path)) throw new Error(`${key}: ${path} is not a valid device path`);
  const mode = props.get('mode') ?? '0660';
  if (!/^0[0-7]{3}$/.test(mode)) throw new Error(`${key}: mode: value does not match the regex pattern`);
  for (const id of ['uid', 'gid']) {
    if (props.has(id) && !/^\d+$/.test(props.get(id))) throw new Error(`${key}: ${id}: type check ('integer') failed - got '${props.get(id)}'`);
  }
  const stat = ctx.statPath(ctx.resolveHostPath(path));
  if (!stat) throw new Error(`Device ${path} does not exist`);
  if (stat.kind !== 'char' && stat.kind !== 'block') throw new Error('Not a character or block device');
  const type = stat.kind === 'block' ? 'b' : 'c';
  const access = TRUE.test(props.get('deny-write') ?? '0') ? 'r' : 'rw';
  const node = {
    key,
    path: ctx.devNodePath(key),
    type,
    major: stat.major,
    minor: stat.minor,
    mode: parseInt(mode, 8),
    uid: Number(props.get('uid') ?? 0),
    gid: Number(props.get('gid') ?? 0),
  };
  const lines = [
    lxcLine('lxc.cgroup2.devices.allow', `${type} ${stat.major}:${stat.minor} ${access}`, ctx),
    `lxc.mount.entry = ${node.path} ${path.slice(1)} none bind,create=file 0 0`,
  ];
  return { lines, node };
}

function mountEntry(key, value, ctx, warnings) {
  let props;
  try {
    props = parsePropertyString(value, 'volume', MP_KEYS);
  } catch (error) {
    throw new Error(`${key}: ${error.message}`);
  }
  const volume = props.get('volume');
  const target = props.get('mp');
  if (!volume) throw new Error(`${key}: missing property - 'volume'`);
  if (!target) throw new Error(`${key}: missing property - 'mp'`);
  if (!target.startsWith('/') || hasDotComponent(target) || target === '/') throw new Error(`${key}: invalid mount point path '${target}'`);
  if (!volume.startsWith('/')) {
    warnings.push(`${key}: storage volume '${volume}' is not emulated by the pct stand-in; skipped`);
    return [];
  }
  const source = ctx.resolveHostPath(volume);
  const stat = ctx.statPath(source);
  if (!stat) throw new Error(`${key}: bind mount source '${volume}' does not exist`);
  if (stat.kind === 'block') throw new Error(`${key}: block device mount points are not emulated by the pct stand-in`);
  const create = stat.kind === 'dir' ? 'create=dir' : 'create=file';
  const ro = TRUE.test(props.get('ro') ?? '0') ? ',ro' : '';
  return [`lxc.mount.entry = ${source} ${target.replace(/^\/+/, '')} none bind,${create}${ro} 0 0`];
}

export function translate(conf, ctx) {
  const warnings = [];
  const nodes = [];
  const lines = [`# generated by the pct stand-in from /etc/pve/lxc/${ctx.vmid}.conf (main section); do not edit`];
  for (const [key, value] of byIndex('dev')(conf)) {
    const entry = deviceEntry(key, value, ctx);
    nodes.push(entry.node);
    lines.push(...entry.lines);
  }
  const mounts = byIndex('mp')(conf).map(([key, value]) => ({ key, value, target: /(?:^|,)mp=([^,]*)/.exec(value)?.[1] ?? '' }));
  mounts.sort((a, b) => a.target.length - b.target.length || (a.target < b.target ? -1 : 1));
  for (const { key, value } of mounts) lines.push(...mountEntry(key, value, ctx, warnings));
  for (const [key, value] of conf.lxc) lines.push(lxcLine(key, value, ctx));
  return { lines, nodes, warnings };
}
