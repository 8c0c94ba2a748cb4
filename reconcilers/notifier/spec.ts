/**
 * The Notifier spec as reconcilers see it: validated by ajv against `crds/notifier.yaml`, every default filled in.
 * The type is generated from that CRD (`npm run gen:types`), never kept by hand.
 */
export type { NotifierSpec } from '../../crds/types.js';
