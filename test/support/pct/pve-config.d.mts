/** Types of the pct stand-in's config reader (plain JS so that `pct` runs from PATH without a build). */
export interface PveMainSection {
  lxc: Array<[string, string]>;
  keys: Map<string, string>;
  description: string;
  warnings: string[];
}
export function mainSectionLines(text: string): string[];
export function decodeText(text: string): string;
export function encodeText(text: string): string;
export function parseMainSection(text: string, vmid: string): PveMainSection;
export function formatConfig(conf: PveMainSection): string;
export function parsePropertyString(value: string, defaultKey: string, allowedKeys: string[]): Map<string, string>;
