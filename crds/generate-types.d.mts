/** Types for generate-types.mjs (imported by test/manifests/types.test.ts). */
export declare function generateTypes(crdDir?: string): string;
