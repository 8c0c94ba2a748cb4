/**
 * A problem with a manifest, located at the YAML node it is about, printed as `FILE:LINE:COL kind/name: message`
 * by `homeostat validate`, the daemon's log and the ManifestsValid condition. Its `code` says what kind of
 * problem it is, for programs (the printed form does not show it).
 */
import { errorMessage } from '../../reconcilers/core/problem.js';

export type ManifestErrorCode =
  /** The file cannot be read. */
  | 'Unreadable'
  /** The YAML does not parse (or cannot be turned into data, e.g. a bad alias). */
  | 'YamlSyntax'
  /** A document that is not a mapping of apiVersion, kind, metadata and spec. */
  | 'NotAMapping'
  /** A required field is missing (`kind`, `metadata.name`, `spec.path`, ...). */
  | 'MissingField'
  /** `kind` names no CRD. */
  | 'UnknownKind'
  /** A field the kind's schema does not have. */
  | 'UnknownField'
  /** A value the kind's schema rejects (type, pattern, enum, range, ...). */
  | 'SchemaViolation'
  /** The same `kind/name` defined more than once. */
  | 'DuplicateIdentity';

export interface ManifestError {
  code: ManifestErrorCode;
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

/** A file that cannot be read: one error at 1:1. */
export function unreadableFile(file: string, err: unknown): ManifestError {
  return { code: 'Unreadable', file, line: 1, col: 1, message: `cannot read: ${errorMessage(err)}` };
}
