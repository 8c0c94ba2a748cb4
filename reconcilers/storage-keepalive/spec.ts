/**
 * The StorageKeepalive spec as reconcilers see it: validated by ajv against `crds/storage-keepalive.yaml`,
 * every default filled in. The type is generated from that CRD (`npm run gen:types`), never kept by hand.
 */
export type { StorageKeepaliveSpec } from '../../crds/types.js';
