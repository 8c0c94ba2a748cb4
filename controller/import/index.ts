/**
 * `homeostat import`'s public face: read what a Host already has and describe it as manifests whose `diff` is
 * empty, rendered as YAML with a comment per resource saying where it came from.
 */
export { importHost } from './read-host.js';
export { renderImport, type ImportedDocument, type ImportResult } from './document.js';
