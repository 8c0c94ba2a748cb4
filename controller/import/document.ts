/**
 * What an import produces: manifest documents, each with the comments that say where it came from and what it
 * could not carry, and notes about lines no document carries. Rendered as one YAML stream, comments first, so
 * nothing read is silently dropped.
 */
import { stringify } from 'yaml';

export const API_VERSION = 'homeostat.dev/v1alpha1';

export interface ImportedDocument {
  kind: string;
  name: string;
  spec: Record<string, unknown>;
  /** Comment lines put above the document: where it came from (file and lines), lines it did not carry. */
  comments: string[];
}

/**
 * A config line one document carries (a UnifiedNamespace share's `lxc.mount.entry` bind of the whole tree), so
 * that another import (LxcDevice's list of lines it does not carry) does not list it too.
 */
export interface CarriedLine {
  /** Host path of the config. */
  configPath: string;
  /** The line as it is in the file. */
  text: string;
}

export interface ImportResult {
  documents: ImportedDocument[];
  /** Comment lines about what was read but carried by no document (a config with device lines none can express). */
  notes: string[];
}

/** Comment text on one line (a config or cron line never holds a newline; a stray control character becomes `?`). */
export function commentSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}

/** A manifest name (DNS-1123 subdomain) from free text: lower case, anything else `-`, at most 63 characters. */
export function manifestName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 63)
    .replace(/[-.]+$/, '');
  return name === '' ? 'imported' : name;
}

/** The YAML stream: a header, the notes, then every document with its comments above it. */
export function renderImport(result: ImportResult, header: readonly string[]): string {
  const comment = (line: string) => (line === '' ? '#' : `# ${commentSafe(line)}`);
  const top = [...header, ...(result.notes.length > 0 ? ['', ...result.notes] : [])].map(comment).join('\n');
  const docs = result.documents.map((doc) => {
    const body = stringify({ apiVersion: API_VERSION, kind: doc.kind, metadata: { name: doc.name }, spec: doc.spec }, { lineWidth: 0 });
    return `${doc.comments.map(comment).join('\n')}${doc.comments.length > 0 ? '\n' : ''}${body}`;
  });
  if (docs.length === 0) return `${top}\n`;
  return `${top}\n${docs.join('---\n')}`;
}
