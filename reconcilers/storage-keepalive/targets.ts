/**
 * Which files a StorageKeepalive owns on its host, derived from the spec alone: the heartbeat file
 * (controller mode) or the cron file (cron mode). Plan deletes inventory files that are not in this list.
 */
import { posix } from 'node:path';
import type { InventoryItem } from '../core/contract.js';
import { cronFilePath } from './cron.js';
import type { StorageKeepaliveSpec } from './spec.js';

export function heartbeatPath(spec: StorageKeepaliveSpec): string {
  return posix.join(spec.path, spec.file);
}

/** The one file the current spec wants to exist and own. */
export function wantedFile(resourceName: string, spec: StorageKeepaliveSpec): string {
  return spec.mode === 'cron' ? cronFilePath(resourceName) : heartbeatPath(spec);
}

export function fileItem(host: string, path: string): InventoryItem {
  return { type: 'file', host, id: path };
}

/** `host:path`, how changes name what they act on. */
export function hostTarget(host: string, path: string): string {
  return `${host}:${path}`;
}
