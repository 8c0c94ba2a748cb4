/**
 * `homeostat import compose`: a compose project whose services join a VPN gateway's network stack
 * (`network_mode: service:X` / `container:X`) as VpnSidecar manifests, with what the spec cannot carry in comments.
 * The conversion is pure (convert.ts); reading the files is the command's (controller/cli/commands/import-compose.ts).
 */
export { convertCompose, DEFAULT_SECRETS_DIR, resourceName, type ComposeImport, type ComposeImportInput, type ImportedSidecar } from './convert.js';
export { ComposeImportError, type ComposeImportErrorCode } from './errors.js';
export { envFileNames, readEnvFileNames } from './env-file-names.js';
export type { ImportNote, NoteKind } from './notes.js';
export { renderComposeImport } from './render.js';
export { specCheckFor, type Role, type SpecCheck } from './spec-check.js';
