/**
 * Secret files, for every kind that references one (VpnSidecar's `secretEnv` and API keys, Notifier's token):
 * reading them (on the machine homeostat runs on), checking them, hashing them and watching them. A value is
 * checked when read — one line (one trailing newline is allowed and stripped), valid UTF-8, no control character,
 * and for a value sent as an HTTP header only printable ASCII — and registered with the redactor (redact.ts) the
 * moment it is read, so it is shown as `<secret sha256:ab12…>` wherever it might end up. A value never enters an
 * error message: a SecretFileError names the field and the file, and says what is wrong, never the content.
 */
import { watch as watchFs, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { registerSecret, sha256 } from './redact.js';

export interface SecretRef {
  /** Where the spec references it, e.g. `spec.gateway.secretEnv.WIREGUARD_PRIVATE_KEY`. */
  field: string;
  file: string;
  /** Sent as an HTTP header value (an API key, a bearer token): printable ASCII only. */
  header?: boolean;
}

/** sha256 (hex) of each referenced secret file's value, by file path. */
export type SecretHashes = Readonly<Record<string, string>>;

/** What Ready shows while a run waits for a secret file to be created or fixed. */
export type SecretFileReason = 'SecretFileMissing' | 'SecretFileUnreadable' | 'SecretFileInvalid';

/** What is wrong with a secret file. */
export type SecretFileFault = 'missing' | 'unreadable' | 'empty' | 'multi-line' | 'control-character' | 'not-utf8' | 'not-header-safe';

const FAULT_TEXT: Record<Exclude<SecretFileFault, 'missing' | 'unreadable'>, string> = {
  empty: 'is empty',
  'multi-line': 'must hold a single line (one trailing newline is allowed), but has more',
  'control-character': 'contains a control character (NUL, tab, carriage return, escape, …); a secret must be printable text',
  'not-utf8': 'is not valid UTF-8 text',
  'not-header-safe': 'must be printable ASCII (it is sent as an HTTP header), but contains another character',
};

/** A secret file that cannot be read or used. The message names the field and the file, never content. */
export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
  constructor(
    readonly ref: SecretRef,
    readonly fault: SecretFileFault,
    /** The errno name when the file could not be read (`ENOENT`, `EACCES`, ...). */
    readonly code?: string,
  ) {
    super(
      fault === 'missing'
        ? `${ref.field}: secret file ${ref.file} does not exist`
        : fault === 'unreadable'
          ? `${ref.field}: cannot read secret file ${ref.file} (${code ?? 'EIO'})`
          : `${ref.field}: secret file ${ref.file} ${FAULT_TEXT[fault]}`,
    );
  }

  /** What Ready shows while the run is retried (a secret file may be created or fixed any moment). */
  get reason(): SecretFileReason {
    return this.fault === 'missing' ? 'SecretFileMissing' : this.fault === 'unreadable' ? 'SecretFileUnreadable' : 'SecretFileInvalid';
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const HEADER_SAFE = /^[\u0020-\u007e]*$/;

/** What is wrong with a value read for `ref` (pure), or null. */
export function secretFault(value: string, ref: Pick<SecretRef, 'header'>): SecretFileFault | null {
  if (value.length === 0) return 'empty';
  if (/[\r\n]/.test(value)) return 'multi-line';
  if (CONTROL.test(value)) return 'control-character';
  if (ref.header && !HEADER_SAFE.test(value)) return 'not-header-safe';
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text without one trailing newline (`echo key > file` adds one), registered with the redactor. */
async function readSecretFile(ref: SecretRef): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(ref.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new SecretFileError(ref, code === 'ENOENT' ? 'missing' : 'unreadable', code);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    // Registered all the same (as Latin-1, byte for byte), in case any part of it is ever echoed back.
    registerSecret(ref.file, bytes.toString('latin1').replace(/\r?\n$/, ''));
    throw new SecretFileError(ref, 'not-utf8');
  }
  const value = text.replace(/\r?\n$/, '');
  registerSecret(ref.file, value);
  return value;
}

/** The checked value of a secret file; rejects with a SecretFileError saying what is wrong. */
export async function readSecret(ref: SecretRef): Promise<string> {
  const value = await readSecretFile(ref);
  const fault = secretFault(value, ref);
  if (fault) throw new SecretFileError(ref, fault);
  return value;
}

/** Hashes of every referenced secret (each file read once, checked for every use); rejects on the first bad one. */
export async function readSecretHashes(refs: readonly SecretRef[]): Promise<Record<string, string>> {
  const values = new Map<string, string>();
  const hashes: Record<string, string> = {};
  for (const ref of refs) {
    let value = values.get(ref.file);
    if (value === undefined) {
      value = await readSecretFile(ref);
      values.set(ref.file, value);
      hashes[ref.file] = sha256(value);
    }
    const fault = secretFault(value, ref);
    if (fault) throw new SecretFileError(ref, fault);
  }
  return hashes;
}

/** fs.watch on the folders of the secret files (a file may not exist yet, and editors replace files). */
export function watchSecretFiles(files: readonly string[], onChange: () => void): { close(): void } {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    byDir.set(dirname(file), names);
  }
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const watcher = watchFs(dir, (_event, file) => {
        if (file === null || names.has(file.toString())) onChange();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // the folder is missing: the run reports the missing secret, and is retried
    }
  }
  return { close: () => watchers.forEach((w) => w.close()) };
}
