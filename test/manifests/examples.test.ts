/**
 * The shipped example manifests stay valid: the lab (for users to copy) and the sandbox (what `npm start` runs).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatManifestError, loadManifestDir } from '../../controller/manifests/index.js';

const dir = (name: string) => fileURLToPath(new URL(`../../manifests/${name}`, import.meta.url));

describe('shipped manifests', () => {
  it.each([
    ['lab', ['Host/docker-ct', 'Host/pve', 'LxcDevice/media-passthrough', 'Notifier/phone', 'StorageKeepalive/hdd', 'UnifiedNamespace/data', 'VpnSidecar/media-vpn']],
    ['sandbox', ['Host/local', 'LxcDevice/media-passthrough', 'StorageKeepalive/hdd', 'StorageKeepalive/hdd-cron', 'UnifiedNamespace/data', 'VpnSidecar/media-vpn']],
  ])('%s validates and declares what the README says', async (name, keys) => {
    const { resources, errors } = await loadManifestDir(dir(name));
    expect(errors.map(formatManifestError)).toEqual([]);
    expect(resources.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual(keys);
  });
});
