/** crds/types.ts must be what crds/generate-types.mjs makes of the CRDs today. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateTypes } from '../../crds/generate-types.mjs';

describe('crds/types.ts', () => {
  it('is up to date with the CRDs (else run `npm run gen:types`)', () => {
    const committed = readFileSync(new URL('../../crds/types.ts', import.meta.url), 'utf8');
    expect(committed === generateTypes(), 'crds/types.ts is stale: run `npm run gen:types`').toBe(true);
  });

  it('makes defaulted fields required and the others optional', () => {
    const source = generateTypes();
    expect(source).toMatch(/export interface StorageKeepaliveSpec \{[^}]*\n {2}interval: string;/);
    expect(source).toMatch(/export interface HostSshSpec \{[^}]*\n {2}port: number;[^}]*\n {2}identityFile\?: string;/);
    expect(source).toContain("  method: 'write-fsync' | 'touch';");
    expect(source).toContain('  secretEnv: Record<string, SecretFileRef>;');
  });
});
