/**
 * Device cgroup rules, the values of `lxc.cgroup2.devices.allow` (cgroup v2) and `lxc.cgroup.devices.allow`
 * (v1): `TYPE MAJOR:MINOR ACCESS` (`c 226:128 rwm`, `c 226:* rwm`) or `a` (every device).
 */

export type DeviceType = 'c' | 'b';

export interface DeviceRule {
  type: 'a' | DeviceType;
  /** `null` for `*`. */
  major: number | null;
  minor: number | null;
  access: string;
}

export const CGROUP2_ALLOW_KEY = 'lxc.cgroup2.devices.allow';
export const CGROUP1_ALLOW_KEY = 'lxc.cgroup.devices.allow';

export function parseDeviceRule(value: string): DeviceRule | null {
  const text = value.trim();
  if (text === 'a') return { type: 'a', major: null, minor: null, access: 'rwm' };
  const match = /^([abc])\s+(\d+|\*):(\d+|\*)(?:\s+([rwm]+))?$/.exec(text);
  if (!match) return null;
  const num = (s: string) => (s === '*' ? null : Number(s));
  return { type: match[1] as DeviceRule['type'], major: num(match[2]!), minor: num(match[3]!), access: match[4] ?? 'rwm' };
}

export function formatDeviceRule(rule: { type: DeviceType; major: number; minor: number; access: string }): string {
  return `${rule.type} ${rule.major}:${rule.minor} ${rule.access}`;
}

/** True when `rule` allows every access in `access` to the device `type major:minor`. */
export function ruleAllows(rule: DeviceRule, device: { type: DeviceType; major: number; minor: number }, access: string): boolean {
  if (rule.type !== 'a' && rule.type !== device.type) return false;
  if (rule.major !== null && rule.major !== device.major) return false;
  if (rule.minor !== null && rule.minor !== device.minor) return false;
  return [...access].every((a) => rule.access.includes(a));
}
