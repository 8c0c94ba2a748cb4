/**
 * The UnifiedNamespace spec as reconcilers see it: validated by ajv against `crds/unified-namespace.yaml`, every
 * default filled in. The type is generated from that CRD (`npm run gen:types`), never kept by hand.
 */
export type { UnifiedNamespaceOwner, UnifiedNamespaceShare, UnifiedNamespaceSpec } from '../../crds/types.js';
