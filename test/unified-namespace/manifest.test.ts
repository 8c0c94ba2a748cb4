/**
 * Bad UnifiedNamespace input as a user meets it: `homeostat validate` (parse + CRD schema) points at the field
 * with FILE:LINE:COL, and what the schema cannot say the reconciler's validate says, naming the field path.
 */
import { describe, expect, it } from 'vitest';
import { formatManifestError, parseManifestFile } from '../../controller/manifests/parse.js';
import { validateSpec } from '../../reconcilers/unified-namespace/validate.js';
import type { UnifiedNamespaceSpec } from '../../reconcilers/unified-namespace/spec.js';

const doc = (spec: string) => `apiVersion: homeostat.dev/v1alpha1
kind: UnifiedNamespace
metadata: { name: data }
spec:
${spec}`;

const errorsOf = (spec: string) => parseManifestFile('data.yaml', doc(spec)).errors.map(formatManifestError);

describe('UnifiedNamespace manifests', () => {
  it('the lab example is valid, with defaults filled in', () => {
    const parsed = parseManifestFile('data.yaml', doc('  root: /data\n  layout: trash\n  owner: { uid: 1000, gid: 1000 }\n  shareInto: [{ container: "100" }]\n'));
    expect(parsed.errors).toEqual([]);
    const spec = parsed.resources[0]!.spec as UnifiedNamespaceSpec;
    expect(spec).toMatchObject({ host: 'local', mode: '2775', requireSameFilesystem: true, directories: [] });
    expect(validateSpec(spec)).toEqual([]);
  });

  it.each([
    ['a relative root', '  root: data\n', 'data.yaml:5:9 UnifiedNamespace/data: spec.root: must match pattern'],
    ['a non-normalized root', '  root: /data/../etc/\n', 'spec.root: must match pattern'],
    ['root /', '  root: /\n', 'spec.root: must match pattern'],
    ['.. in a folder', '  root: /data\n  directories: [media/../../etc]\n', 'spec.directories[0]: must match pattern'],
    ['an absolute folder (outside the root)', '  root: /data\n  directories: [/etc]\n', 'spec.directories[0]: must match pattern'],
    ['a uid out of range', '  root: /data\n  owner: { uid: 4294967295, gid: 0 }\n', 'spec.owner.uid: must be <= 4294967294'],
    ['a negative gid', '  root: /data\n  owner: { uid: 0, gid: -1 }\n', 'spec.owner.gid: must be >= 0'],
    ['a mode that is not octal', '  root: /data\n  mode: "0o775"\n', 'spec.mode: must match pattern'],
    ['an unquoted mode', '  root: /data\n  mode: 2775\n', 'spec.mode: must be a string, got 2775 (put it in quotes)'],
  ])('%s is a schema error naming the field', (_, spec, message) => {
    const errors = errorsOf(spec);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it('what the schema cannot express, validate says with the field path', () => {
    const parsed = parseManifestFile('data.yaml', doc('  root: /data\n  mode: "0644"\n  shareInto: [{ container: "100" }, { container: "100", path: /srv }]\n'));
    expect(parsed.errors).toEqual([]);
    expect(validateSpec(parsed.resources[0]!.spec as UnifiedNamespaceSpec)).toEqual([
      { reason: 'InvalidSpec', path: 'spec.mode', message: expect.stringContaining('no search (x) permission') },
      { reason: 'InvalidSpec', path: 'spec.shareInto[1].container', message: expect.stringContaining('already listed at spec.shareInto[0]') },
    ]);
  });
});
