/**
 * Where a VpnSidecar spec references secret files (read at observe time for hashing and at apply time for use,
 * with the one reader of core/secret-files.ts, which checks them and registers them with the redactor).
 */
import { sha256, showSecret } from '../core/redact.js';
import type { SecretRef } from '../core/secret-files.js';
import type { VpnSidecarSpec } from './spec.js';

export { sha256, showSecret };
export { readSecret, readSecretHashes, secretFault, SecretFileError, watchSecretFiles } from '../core/secret-files.js';
export type { SecretFileFault, SecretHashes, SecretRef } from '../core/secret-files.js';

/** The control server's API key, when the spec gives one. */
export function apiKeyRef(spec: VpnSidecarSpec): SecretRef | undefined {
  const apiKey = spec.gateway.controlServer.apiKey;
  return apiKey ? { field: 'spec.gateway.controlServer.apiKey', file: apiKey.file, header: true } : undefined;
}

/** A dependent's qBittorrent WebUI password, when it has port forwarding. */
export function qbittorrentPasswordRef(spec: VpnSidecarSpec, index: number): SecretRef | undefined {
  const qbt = spec.dependents[index]?.portForwarding?.qbittorrent;
  return qbt ? { field: `spec.dependents[${index}].portForwarding.qbittorrent.password`, file: qbt.password.file } : undefined;
}

/** Every secret file the spec references, each with the field that references it. */
export function secretRefs(spec: VpnSidecarSpec): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const [key, ref] of Object.entries(spec.gateway.secretEnv)) refs.push({ field: `spec.gateway.secretEnv.${key}`, file: ref.file });
  const apiKey = apiKeyRef(spec);
  if (apiKey) refs.push(apiKey);
  spec.dependents.forEach((dependent, i) => {
    for (const [key, ref] of Object.entries(dependent.secretEnv)) refs.push({ field: `spec.dependents[${i}].secretEnv.${key}`, file: ref.file });
    const password = qbittorrentPasswordRef(spec, i);
    if (password) refs.push(password);
  });
  return refs;
}

