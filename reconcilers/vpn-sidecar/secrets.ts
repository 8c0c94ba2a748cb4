/**
 * Secrets referenced by file: where a spec references them, reading them (on the machine homeostat runs on, at
 * observe time for hashing and at apply time for use), hashing them, and the only way they are ever shown:
 * `<secret sha256:ab12…>`. A value never enters an error message, a log line, status, an event or `diff`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { VpnSidecarRetryReason } from './reasons.js';
import type { VpnSidecarSpec } from './spec.js';

export interface SecretRef {
  /** Where the spec references it, e.g. `spec.gateway.secretEnv.WIREGUARD_PRIVATE_KEY`. */
  field: string;
  file: string;
}

/** sha256 (hex) of each referenced secret file's value, by file path. */
export type SecretHashes = Readonly<Record<string, string>>;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** How a secret is shown anywhere a human may read: the first 4 hex digits of its value's sha256. */
export function showSecret(hash: string): string {
  return `<secret sha256:${hash.slice(0, 4)}…>`;
}

/** Every secret file the spec references, each with the field that references it. */
export function secretRefs(spec: VpnSidecarSpec): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const [key, ref] of Object.entries(spec.gateway.secretEnv)) refs.push({ field: `spec.gateway.secretEnv.${key}`, file: ref.file });
  if (spec.gateway.controlServer.apiKey) refs.push({ field: 'spec.gateway.controlServer.apiKey', file: spec.gateway.controlServer.apiKey.file });
  spec.dependents.forEach((dependent, i) => {
    for (const [key, ref] of Object.entries(dependent.secretEnv)) refs.push({ field: `spec.dependents[${i}].secretEnv.${key}`, file: ref.file });
    const qbt = dependent.portForwarding?.qbittorrent;
    if (qbt) refs.push({ field: `spec.dependents[${i}].portForwarding.qbittorrent.password`, file: qbt.password.file });
  });
  return refs;
}

/** A secret file that cannot be read. The message names the field and the file, never content. */
export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
  constructor(
    readonly ref: SecretRef,
    readonly code: string,
  ) {
    super(
      code === 'ENOENT'
        ? `${ref.field}: secret file ${ref.file} does not exist`
        : `${ref.field}: cannot read secret file ${ref.file} (${code})`,
    );
  }

  /** What Ready shows while the run is retried (a secret file may be created or fixed any moment). */
  get reason(): VpnSidecarRetryReason {
    return this.code === 'ENOENT' ? 'SecretFileMissing' : 'SecretFileUnreadable';
  }
}

/** The value of a secret file, without one trailing newline (`echo key > file` adds one). */
export async function readSecret(ref: SecretRef): Promise<string> {
  let raw: string;
  try {
    raw = await readFile(ref.file, 'utf8');
  } catch (err) {
    throw new SecretFileError(ref, (err as NodeJS.ErrnoException).code ?? 'EIO');
  }
  return raw.replace(/\r?\n$/, '');
}

/** Hashes of every referenced secret; rejects with a SecretFileError naming the first one that is missing. */
export async function readSecretHashes(refs: readonly SecretRef[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const ref of refs) if (!(ref.file in hashes)) hashes[ref.file] = sha256(await readSecret(ref));
  return hashes;
}
