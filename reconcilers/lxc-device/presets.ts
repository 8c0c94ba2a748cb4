/**
 * Device presets: names for sets of device paths. A preset names paths, never device numbers: the numbers
 * come from `stat` of the nodes on the host (render minors are allocated dynamically on newer kernels).
 */

export interface Preset {
  /** A folder whose matching entries are the devices (listed on the host at every observe). */
  dir?: { path: string; match: RegExp };
  /** Fixed device paths. */
  paths?: string[];
  /** Bind-mount the whole folder (`create=dir`) instead of each node (`create=file`). */
  mountDir: boolean;
}

export const PRESETS: Record<string, Preset> = {
  // Intel QuickSync / VA-API: the DRM card and render nodes (226:0, 226:128 on most machines).
  'intel-quicksync': { dir: { path: '/dev/dri', match: /^(card|renderD)\d+$/ }, mountDir: true },
  // WireGuard / Tailscale / OpenVPN inside the container (10:200).
  tun: { paths: ['/dev/net/tun'], mountDir: false },
};

export const PRESET_NAMES = Object.keys(PRESETS);

export function isPreset(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}
