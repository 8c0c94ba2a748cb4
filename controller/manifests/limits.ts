/**
 * Limits on the manifests homeostat reads, so that a huge or pathological file (a 60 MB paste, a million empty
 * documents, a flow list of half a million items) is refused with an error naming it instead of taking gigabytes of
 * memory or minutes of CPU. Bytes are checked before reading (and reading never goes past them); YAML nodes and
 * nesting are counted by a streaming pre-pass before the document tree is built (yaml-budget.ts). Pure: the checks
 * of a whole directory, and the words of each error. A file over a limit keeps its last good documents in force; a
 * directory over a limit is not reloaded at all (the last good snapshot stays).
 */
import type { ManifestError } from './manifest-error.js';

export interface ManifestLimits {
  /** Bytes of one manifest file. */
  maxFileBytes: number;
  /** Bytes of all manifest files together. */
  maxTotalBytes: number;
  /** Manifest files in the directory. */
  maxFiles: number;
  /** YAML documents in one file. */
  maxDocumentsPerFile: number;
  /** Documents (resources) in the whole directory. */
  maxDocuments: number;
  /** YAML nodes (scalars, lists, mappings, aliases) in one file. */
  maxNodesPerFile: number;
  /** Lists and mappings nested inside each other. */
  maxDepth: number;
}

const MiB = 1024 * 1024;

/**
 * A lab's manifests are a few kilobytes (a resource is ~30 nodes, ~300 bytes). The YAML library spends about 1 KB of
 * memory per node, so 50,000 nodes keep one file under ~100 MB while parsing; 1,000 documents per file and 10,000
 * overall are far beyond any lab and still parse in about a second.
 */
export const DEFAULT_MANIFEST_LIMITS: Readonly<ManifestLimits> = Object.freeze({
  maxFileBytes: 1 * MiB,
  maxTotalBytes: 16 * MiB,
  maxFiles: 1_000,
  maxDocumentsPerFile: 1_000,
  maxDocuments: 10_000,
  maxNodesPerFile: 50_000,
  maxDepth: 64,
});

export function manifestLimits(overrides: Partial<ManifestLimits> = {}): ManifestLimits {
  return { ...DEFAULT_MANIFEST_LIMITS, ...overrides };
}

/** What a limit error says happens meanwhile. */
const KEEPS_FILE = 'its last good documents stay in force';
const KEEPS_ALL = 'nothing was reloaded: the last good manifests stay in force';
const SPLIT = 'split it into several files';

type Position = { line: number; col: number };

/** One file, from its size before reading, or without one when a bounded read stopped at the limit. */
export function fileTooLarge(file: string, bytes: number | undefined, limits: ManifestLimits): ManifestError {
  const limit = formatBytes(limits.maxFileBytes);
  const size = bytes === undefined ? `more than ${limit}` : formatBytes(bytes) === limit ? `${bytes} bytes` : formatBytes(bytes);
  return {
    code: 'TooLarge',
    file,
    line: 1,
    col: 1,
    message: `file is ${size}, over the ${limit} limit for one manifest file; not read (${SPLIT}; ${KEEPS_FILE})`,
  };
}

/** A file that is not a regular file any more when it is opened (a FIFO, a device, a folder). */
export function notAFile(file: string): ManifestError {
  return { code: 'Unreadable', file, line: 1, col: 1, message: `not a regular file; not read (${KEEPS_FILE})` };
}

export function tooManyDocuments(file: string, at: Position, limits: ManifestLimits): ManifestError {
  return notLoaded('TooMany', file, at, `more than ${limits.maxDocumentsPerFile} YAML documents in one file`, SPLIT);
}

export function tooManyNodes(file: string, at: Position, limits: ManifestLimits): ManifestError {
  return notLoaded('TooComplex', file, at, `more than ${limits.maxNodesPerFile} YAML values in one file`, SPLIT);
}

export function tooDeep(file: string, at: Position, limits: ManifestLimits): ManifestError {
  return notLoaded('TooComplex', file, at, `lists and mappings nested more than ${limits.maxDepth} levels deep`);
}

/** A file over a limit found while reading it, at `at`: not loaded, its last good documents kept. */
function notLoaded(code: ManifestError['code'], file: string, at: Position, what: string, advice?: string): ManifestError {
  return { code, file, ...at, message: `${what}; not loaded (${advice ? `${advice}; ` : ''}${KEEPS_FILE})` };
}

/**
 * The directory as a whole, from each file's size in path order: the first file at which the count of files or the
 * total of bytes goes over its limit carries the error (so it reads `FILE:1:1: ...` like every other), and the whole
 * reload is refused. A file over its own limit is never read, so it does not count towards the total (its own error
 * says what is wrong with it). Undefined when the directory is within its limits.
 */
export function directoryOverLimits(
  files: ReadonlyArray<{ file: string; bytes: number }>,
  limits: ManifestLimits,
): ManifestError | undefined {
  if (files.length > limits.maxFiles) {
    const file = files[limits.maxFiles]!.file;
    return {
      code: 'TooMany',
      file,
      line: 1,
      col: 1,
      message: `${files.length} manifest files, over the limit of ${limits.maxFiles} (this is the first one past it); ${KEEPS_ALL}`,
    };
  }
  const read = (bytes: number) => (bytes > limits.maxFileBytes ? 0 : bytes);
  let total = 0;
  for (const { file, bytes } of files) {
    total += read(bytes);
    if (total > limits.maxTotalBytes) return directoryTooLarge(file, files.reduce((sum, f) => sum + read(f.bytes), 0), limits);
  }
  return undefined;
}

/** The total went over while reading (files grew after they were listed), at `file`. */
export function directoryTooLarge(file: string, totalBytes: number | undefined, limits: ManifestLimits): ManifestError {
  const limit = `the ${formatBytes(limits.maxTotalBytes)} limit for the directory`;
  const total = totalBytes !== undefined ? `add up to ${formatBytes(totalBytes)}, over ${limit}` : `grew past ${limit} while being read`;
  return { code: 'TooLarge', file, line: 1, col: 1, message: `the manifest files ${total} (reached at this file); ${KEEPS_ALL}` };
}

/** Too many documents in the whole directory, at the file that went past the limit. */
export function tooManyDocumentsOverall(file: string, count: number, limits: ManifestLimits): ManifestError {
  return {
    code: 'TooMany',
    file,
    line: 1,
    col: 1,
    message: `${count} YAML documents in the manifest files, over the limit of ${limits.maxDocuments} (reached at this file); ${KEEPS_ALL}`,
  };
}

/** `812 B`, `1 MiB`, `60.3 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < MiB ? [bytes / 1024, 'KiB'] : [bytes / MiB, 'MiB'];
  return `${Math.round(value * 10) / 10} ${unit}`;
}
