/**
 * A problem with a manifest, located at the YAML node it is about, printed as `FILE:LINE:COL kind/name: message`
 * by `homeostat validate`, the daemon's log and the ManifestsValid condition.
 */

export interface ManifestError {
  /** Path of the manifest file, relative to the manifests directory. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** `kind/name` of the document, when both are known. */
  ref?: string;
  /** Names the field path first, e.g. `spec.interval: must match pattern ...`. */
  message: string;
}

export function formatManifestError(e: ManifestError): string {
  return `${e.file}:${e.line}:${e.col}${e.ref ? ` ${e.ref}` : ''}: ${e.message}`;
}

/** Orders errors by file, then position. */
export function compareManifestErrors(a: ManifestError, b: ManifestError): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}
