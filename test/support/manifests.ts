/**
 * Manifest text for tests and benchmarks that write manifest files: one document of any kind, and the lab's data
 * tree. Host and StorageKeepalive documents in their block form are in lab.ts; VpnSidecar ones in
 * test/vpn-sidecar/daemon-lab.ts.
 */
import { API_VERSION } from '../../reconcilers/core/resource.js';

/** One document; `spec` is a YAML flow mapping (`{ path: /mnt/a }`) or an object (written as JSON, which YAML reads). */
export function manifestDoc(kind: string, name: string, spec: string | object): string {
  const text = typeof spec === 'string' ? spec : JSON.stringify(spec);
  return `apiVersion: ${API_VERSION}\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${text}\n`;
}

/**
 * The lab's data tree: UnifiedNamespace `data` at /data, trash layout, owned by 1000:1000, mode 2775; `extra` adds
 * spec lines (indented by two spaces, each ending in a newline).
 */
export function dataTreeManifest(extra = ''): string {
  return `apiVersion: ${API_VERSION}
kind: UnifiedNamespace
metadata: { name: data }
spec:
  root: /data
  layout: trash
  owner: { uid: 1000, gid: 1000 }
  mode: "2775"
${extra}`;
}
