/**
 * The store's change feed: what changed, told synchronously to each listener as the store is written (before the
 * commit). Listeners are the status page's live stream and the notifications; they read what they need from the
 * store (statuses come from memory) and must not throw or block: a listener that throws is logged by the feed's
 * owner and skipped, never allowed to break the write that told it.
 */
import type { Condition } from './conditions.js';

export type StoreChange =
  /** A resource's status was written (read it with `store.getStatus`). */
  | { type: 'status'; kind: string; name: string }
  /** An event was recorded (already redacted). A repeat of the resource's latest event is told again, count bumped in the store. */
  | { type: 'event'; kind: string; name: string; event: { type: 'Normal' | 'Warning'; reason: string; message: string; time: string } }
  /** A controller condition was written. */
  | { type: 'controller'; condition: Condition }
  /** Resources were accepted (upserted) or one was deleted. */
  | { type: 'resources'; kind?: string; name?: string; deleted: boolean };

export type StoreChangeListener = (change: StoreChange) => void;

/** The listeners of one store; `emit` calls each, and a throwing listener only loses its own call. */
export class ChangeFeed {
  private readonly listeners = new Set<StoreChangeListener>();
  /** Told when a listener throws (the store's owner logs it). */
  onListenerError: (err: unknown) => void = () => {};

  subscribe(listener: StoreChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(change: StoreChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
