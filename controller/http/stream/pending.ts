/**
 * What the store told the status stream since its last flush, recorded cheaply as the store writes (the feed's
 * listeners must never block): the resources touched, whether the whole list must be re-read (a bulk upsert),
 * controller conditions by type (the last one wins), and the events, bounded (the oldest are dropped and counted).
 * The stream reads the store later, once per flush. Pure (no I/O, no timers).
 */
import type { StoreChange } from '../../state/changes.js';
import type { EventRow } from '../../state/store.js';
import type { Condition } from '../../state/conditions.js';
import { cut } from './summary.js';

/** Event messages are cut in the stream (the resource's detail shows them whole). */
export const STREAM_EVENT_MESSAGE_CHARS = 1000;

/** An event as the stream sends it: the store's row without the count (a repeat is sent again). */
export type StreamEvent = Omit<EventRow, 'count'>;

export interface TakenChanges {
  /** `kind/name` of resources whose row may have changed (status written, deleted). */
  keys: Set<string>;
  /** Resources were upserted in bulk: every row must be re-read. */
  allResources: boolean;
  controller: Map<string, Condition>;
  events: StreamEvent[];
  /** Events left out because more than the bound arrived within one flush. */
  droppedEvents: number;
}

export class PendingChanges {
  private taken = fresh();

  constructor(private readonly maxEvents: number) {}

  get empty(): boolean {
    const t = this.taken;
    return t.keys.size === 0 && !t.allResources && t.controller.size === 0 && t.events.length === 0;
  }

  record(change: StoreChange): void {
    const t = this.taken;
    switch (change.type) {
      case 'status':
        t.keys.add(`${change.kind}/${change.name}`);
        break;
      case 'resources':
        if (change.kind !== undefined && change.name !== undefined) t.keys.add(`${change.kind}/${change.name}`);
        else t.allResources = true;
        break;
      case 'controller':
        t.controller.set(change.condition.type, change.condition);
        break;
      case 'event': {
        const { type, reason, message, time } = change.event;
        t.events.push({ kind: change.kind, name: change.name, type, reason, message: cut(message, STREAM_EVENT_MESSAGE_CHARS), time });
        if (t.events.length > this.maxEvents) {
          t.events.shift();
          t.droppedEvents++;
        }
        break;
      }
    }
  }

  /** What was recorded since the last take; starts afresh. */
  take(): TakenChanges {
    const taken = this.taken;
    this.taken = fresh();
    return taken;
  }
}

function fresh(): TakenChanges {
  return { keys: new Set(), allResources: false, controller: new Map(), events: [], droppedEvents: 0 };
}
