/**
 * The VpnSidecar spec as reconcilers see it: validated by ajv against `crds/vpn-sidecar.yaml`, every default
 * filled in. The types are generated from that CRD (`npm run gen:types`), never kept by hand.
 */
export type { VpnSidecarSpec, VpnGateway, VpnDependent, VpnLeakProbe, SecretFileRef } from '../../crds/types.js';
