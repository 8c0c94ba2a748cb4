/**
 * What `watch` returns here: the `Disposable` of the Host contract plus `ready`, which resolves once the
 * watches are in place (changes before it may go unnoticed). Callers that only need `close()` can ignore it.
 */
import type { Disposable } from './host.js';

export interface WatchHandle extends Disposable {
  ready: Promise<void>;
}
