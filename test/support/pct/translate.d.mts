/** Types of the pct stand-in's translation of a Proxmox main section into LXC lines. */
import type { PveMainSection } from './pve-config.mjs';

export interface TranslateContext {
  vmid: string;
  cgroupV1Devices: boolean;
  resolveHostPath(path: string): string;
  statPath(real: string): { kind: 'char' | 'block' | 'dir' | 'file' | 'other'; major: number; minor: number } | null;
  devNodePath(key: string): string;
}
export interface DeviceNode {
  key: string;
  path: string;
  type: string;
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}
export function lxcLine(key: string, value: string, ctx: TranslateContext): string;
export function translate(conf: PveMainSection, ctx: TranslateContext): { lines: string[]; nodes: DeviceNode[]; warnings: string[] };
