/** Types for generate-schemas.mjs (imported by test/manifests/generated.test.ts). */
import type { Ajv } from 'ajv';

export declare const DURATION_KEYWORD: string;
export declare function createSchemaAjv(opts: {
  durationOutOfBounds: (text: string, bounds: { minimum?: string; maximum?: string }) => string | null;
  standalone?: boolean;
}): Ajv;
export declare function readCrdFiles(crdDir?: string): Array<{ file: string; document: unknown }>;
export declare function generateSchemaModules(crdDir?: string): Record<string, string>;
export declare function writeSchemaModules(opts?: { check?: boolean }): string[];
