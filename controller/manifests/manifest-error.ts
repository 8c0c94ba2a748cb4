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
  | 'DuplicateIdentity'
  /** A file, or all files together, over the byte limit (limits.ts): not read. */
  | 'TooLarge'
  /** Too many files, or documents in a file or overall (limits.ts). */
  | 'TooMany'
  /** Too many YAML values in a file, or nested too deep (limits.ts). */
  | 'TooComplex';

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

/**
 * One line, whatever the manifest held: characters that would break the line or fool a terminal or a reader (control
 * characters, line separators, bidirectional overrides, zero-width characters, lone surrogates) are written as
 * `\u{…}`, and a message longer than MAX_MESSAGE characters is cut, saying how much was left out.
 */
export function formatManifestError(e: ManifestError): string {
  const escaped = escapeUnsafe(e.message);
  const message =
    escaped.length > MAX_MESSAGE
      ? `${escaped.slice(0, MAX_MESSAGE).replace(/\\u\{[0-9a-f]*$/, '')}… (${escaped.length - MAX_MESSAGE} more characters)`
      : escaped;
  return `${escapeUnsafe(e.file)}:${e.line}:${e.col}${e.ref ? ` ${escapeUnsafe(e.ref)}` : ''}: ${message}`;
}

/** The longest message `formatManifestError` prints whole. */
export const MAX_MESSAGE = 1_000;

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with the characters that would break a line or fool a reader written as `\u{…}` (also for commit subjects). */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.charCodeAt(0).toString(16).padStart(4, '0')}}`);
}

/** Orders errors by file, then position. */
export function compareManifestErrors(a: ManifestError, b: ManifestError): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

/** A file that cannot be read: one error at 1:1. */
export function unreadableFile(file: string, err: unknown): ManifestError {
  return { code: 'Unreadable', file, line: 1, col: 1, message: `cannot read: ${errorMessage(err)}` };
}
