/**
 * The real-LXC side of the pct stand-in: state, start/stop through the lxc-* tools (argv, never a shell),
 * and installing the translated Proxmox config into a managed include file of the real container.
 *
 * Per real container `<lxcpath>/<name>/`:
 *   pve-standin.conf   the translated lines (rewritten before every start)
 *   pve-standin-dev/   private device nodes for devN entries (recreated before every start)
 *   config             gets `lxc.include = <lxcpath>/<name>/pve-standin.conf` appended once, and the two
 *                      cgroup-folder hooks (cgroup-folders.mjs) when it lacks them; nothing else changes
 *   pve-standin-cgroup-folders   the Proxmox-style running-state folders this container stands for
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The PATH real `pct` runs everything with (PVE::CLIHandler sets it). */
export const PCT_PATH = '/sbin:/bin:/usr/sbin:/usr/bin';

const run = (cmd, args) =>
  spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH: PCT_PATH }, timeout: 120_000 });

export function lxcPath() {
  const out = run('lxc-config', ['lxc.lxcpath']);
  const path = out.status === 0 ? out.stdout.trim() : '';
  return path || '/var/lib/lxc';
}

export const containerDir = (name) => join(lxcPath(), name);
export const includeFile = (name) => join(containerDir(name), 'pve-standin.conf');
export const deviceDir = (name) => join(containerDir(name), 'pve-standin-dev');

export function containerExists(name) {
  return existsSync(join(containerDir(name), 'config'));
}

/** `RUNNING`, `STOPPED`, ...; a container that does not exist counts as `STOPPED`. */
export function lxcState(name) {
  const out = run('lxc-info', ['-n', name, '-s', '-H']);
  return out.status === 0 ? out.stdout.trim() : 'STOPPED';
}

/** True when this machine's LXC enforces devices through the cgroup v1 `devices` controller. */
export function cgroupV1Devices() {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  return lines.some((line) => /^\d+:([^:]*):/.exec(line)?.[1].split(',').includes('devices'));
}

/** `{ kind, major, minor }` of a real path (following symlinks), or null when it does not exist. */
export function statPath(path) {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return null;
  }
  const rdev = st.rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  const kind = st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  return { kind, major, minor };
}

/** Replaces `path` by a temporary file renamed over it (readers see the old or the new text, never half). */
export function writeAtomic(path, text, mode) {
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** Writes the include file and the device nodes, and makes the real config include them (once). */
export function installTranslation(name, lines, nodes) {
  rmSync(deviceDir(name), { recursive: true, force: true });
  if (nodes.length) mkdirSync(deviceDir(name), { mode: 0o755 });
  for (const node of nodes) {
    const made = run('mknod', ['-m', node.mode.toString(8).padStart(4, '0'), node.path, node.type, String(node.major), String(node.minor)]);
    if (made.status !== 0) throw new Error(`${node.key}: could not create device node: ${made.stderr.trim()}`);
    chownSync(node.path, node.uid, node.gid);
  }
  writeAtomic(includeFile(name), `${lines.join('\n')}\n`, 0o644);
  ensureConfigLines(join(containerDir(name), 'config'), [`lxc.include = ${includeFile(name)}`]);
}

/** Appends to a real container's config the `lines` it does not hold yet, keeping its mode; nothing else changes. */
export function ensureConfigLines(configPath, lines) {
  const config = readFileSync(configPath, 'utf8');
  const present = new Set(config.split('\n'));
  const missing = lines.filter((line) => !present.has(line));
  if (missing.length === 0) return;
  const separator = config.endsWith('\n') || config === '' ? '' : '\n';
  writeAtomic(configPath, `${config}${separator}${missing.map((line) => `${line}\n`).join('')}`, statSync(configPath).mode & 0o7777);
}

/** Starts detached and waits for RUNNING. Returns null on success, else the lines of LXC's error log. */
export function startContainer(name) {
  const log = join(containerDir(name), 'pve-standin-start.log');
  rmSync(log, { force: true });
  const started = run('lxc-start', ['-n', name, '-d', '-l', 'ERROR', '-o', log]);
  const waited = started.status === 0 ? run('lxc-wait', ['-n', name, '-s', 'RUNNING', '-t', '10']) : started;
  if (waited.status === 0 && lxcState(name) === 'RUNNING') return null;
  const logText = existsSync(log) ? readFileSync(log, 'utf8') : '';
  return [...logText.split('\n'), ...started.stderr.split('\n')].map((l) => l.trim()).filter(Boolean);
}

/** `lxc-stop`; `kill` stops at once, otherwise a clean shutdown within `timeout` s (then kill unless `nokill`). */
export function stopContainer(name, { kill = false, timeout, nokill = false } = {}) {
  const args = ['-n', name];
  if (kill) args.push('--kill');
  else {
    if (timeout !== undefined) args.push('--timeout', String(timeout));
    if (nokill) args.push('--nokill');
  }
  const out = run('lxc-stop', args);
  return out.status === 0 || lxcState(name) === 'STOPPED';
}
