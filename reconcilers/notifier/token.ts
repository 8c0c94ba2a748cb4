/**
 * A Notifier's token, read from `spec.tokenFile` on the machine homeostat runs on with the one secret-file reader
 * (core/secret-files.ts): checked (one printable-ASCII line: it is sent as an HTTP header) and registered with
 * the redactor the moment it is read. The reconciler reads it to report a missing or bad file; the dispatcher
 * reads it at every send, so a rotated token is used at once. A SecretFileError names the field and the file,
 * never the content.
 */
import { readSecret, type SecretRef } from '../core/secret-files.js';
import type { NotifierSpec } from './spec.js';

export { SecretFileError } from '../core/secret-files.js';

/** Where the spec references its token, when it does. */
export function tokenRef(spec: Pick<NotifierSpec, 'tokenFile'>): SecretRef | undefined {
  return spec.tokenFile ? { field: 'spec.tokenFile', file: spec.tokenFile, header: true } : undefined;
}

/** The checked token, or undefined when the spec has none; rejects with a SecretFileError. */
export async function readToken(spec: Pick<NotifierSpec, 'tokenFile'>): Promise<string | undefined> {
  const ref = tokenRef(spec);
  return ref ? readSecret(ref) : undefined;
}
