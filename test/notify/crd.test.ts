/**
 * The Notifier CRD's `kinds` filter names every kind there is (plus `Controller`, the controller's own conditions),
 * so a typo is a validation error at FILE:LINE:COL and a new kind cannot be forgotten there; a Notifier manifest
 * validates with its defaults filled in.
 */
import { describe, expect, it } from 'vitest';
import { defaultSchemas, formatManifestError, parseManifestFile } from '../../controller/manifests/index.js';

const schemas = defaultSchemas();

describe('the Notifier CRD', () => {
  it('spec.kinds lists every kind and Controller', () => {
    const kinds = schemas.get('Notifier')!.schema.properties!.spec!.properties!.kinds!.items!.enum;
    expect([...(kinds ?? [])].sort()).toEqual([...schemas.kinds, 'Controller'].sort());
  });

  it('a manifest gets its defaults; a wrong kind or type is an error naming file, line and field', () => {
    const ok = parseManifestFile('notify.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: Notifier\nmetadata: { name: phone }\nspec:\n  type: ntfy\n  url: https://ntfy.sh/lab\n');
    expect(ok.errors).toEqual([]);
    expect(ok.resources[0]!.spec).toEqual({ type: 'ntfy', url: 'https://ntfy.sh/lab', severity: 'warning', kinds: [], names: [] });

    const bad = parseManifestFile('notify.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: Notifier\nmetadata: { name: phone }\nspec:\n  type: slack\n  url: https://ntfy.sh/lab\n  kinds: [VpnSidecar, Pod]\n');
    const lines = bad.errors.map(formatManifestError);
    expect(lines).toEqual([expect.stringMatching(/^notify\.yaml:5:9 Notifier\/phone: spec\.type: /), expect.stringMatching(/^notify\.yaml:7:\d+ Notifier\/phone: spec\.kinds\[1\]: /)]);
  });
});
