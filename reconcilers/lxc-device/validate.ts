/**
 * LxcDevice checks the schema cannot express (pure), each naming its field: device paths that are normalized
 * nodes under /dev/ without `..`, known presets, exactly one of preset/path, and gid/uid/mode only with
 * `style: dev`. Checks that need the host's platform (a numeric VMID on Proxmox, `style: dev` only on Proxmox)
 * are made by observe, which knows it.
 */
import { posix } from 'node:path';
import { invalidSpec, type Problem } from '../core/problem.js';
import { isPreset, PRESET_NAMES } from './presets.js';
import type { LxcDeviceSpec } from './spec.js';

/** Characters a device path cannot carry into an `lxc.mount.entry` or a Proxmox property string. */
const UNSAFE_PATH = /[\s,'"%$`\\\u0000-\u001f\u007f]/;

export function devicePathProblem(path: string): string | null {
  if (!path.startsWith('/dev/')) return `must be a device node under /dev/, got "${path}"`;
  if (path.split('/').some((part) => part === '..' || part === '.')) return `must not contain "." or ".." components, got "${path}"`;
  if (posix.normalize(path) !== path || path.endsWith('/')) return `must be a normalized path (no "//", no trailing "/"), got "${path}"`;
  if (UNSAFE_PATH.test(path)) return `must not contain whitespace, commas, quotes, %, $, backslashes or control characters, got ${JSON.stringify(path)}`;
  return null;
}

export function validateSpec(spec: LxcDeviceSpec): Problem<'InvalidSpec'>[] {
  const problems: Problem<'InvalidSpec'>[] = [];
  spec.devices.forEach((entry, i) => {
    const at = `spec.devices[${i}]`;
    if ((entry.preset === undefined) === (entry.path === undefined)) {
      problems.push(invalidSpec(at, 'needs exactly one of preset or path'));
    }
    if (entry.preset !== undefined && !isPreset(entry.preset)) {
      problems.push(invalidSpec(`${at}.preset`, `unknown preset "${entry.preset}" (known: ${PRESET_NAMES.join(', ')})`));
    }
    if (entry.path !== undefined) {
      const problem = devicePathProblem(entry.path);
      if (problem) problems.push(invalidSpec(`${at}.path`, problem));
    }
  });
  if (spec.style !== 'dev') {
    for (const field of ['gid', 'uid', 'mode'] as const) {
      if (spec[field] !== undefined) problems.push(invalidSpec(`spec.${field}`, 'only applies to style: dev (Proxmox devN entries)'));
    }
  }
  if (spec.mode !== undefined && !/^0?[0-7]{3}$/.test(spec.mode)) {
    problems.push(invalidSpec('spec.mode', `must be octal permission bits such as "0660", got "${spec.mode}"`));
  }
  return problems;
}
