/**
 * Repeats grouped, pure (the caller passes the time): at most one message per Notifier, resource and reason per
 * window (10 minutes); what comes within it is counted, and the next message that goes out carries the count
 * (itself and the repeats before it). A recovery of the resource ends its groups, so that the next failure is told
 * at once. Bounded: entries are per resource (deleted resources are forgotten), and past MAX_ENTRIES those of the
 * resources offered least recently are dropped (their counts lost, never their next message).
 */

export const GROUP_WINDOW_MS = 10 * 60_000;
export const MAX_ENTRIES = 10_000;

interface Entry {
  sentAt: number;
  /** Occurrences since sentAt that were not sent. */
  grouped: number;
}

export type GroupDecision = { send: true; count: number } | { send: false; grouped: number };

export class Grouping {
  /** resource (`KIND/NAME`) → `notifier\0reason` → entry. */
  private readonly byResource = new Map<string, Map<string, Entry>>();
  private size = 0;

  constructor(
    private readonly windowMs = GROUP_WINDOW_MS,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  offer(notifier: string, resource: string, reason: string, now: number): GroupDecision {
    const entries = this.byResource.get(resource) ?? new Map<string, Entry>();
    // Most recently offered last: the bound drops from the front.
    this.byResource.delete(resource);
    this.byResource.set(resource, entries);
    const key = `${notifier}\0${reason}`;
    const entry = entries.get(key);
    if (entry && now - entry.sentAt < this.windowMs) {
      entry.grouped += 1;
      return { send: false, grouped: entry.grouped };
    }
    if (!entry) this.size += 1;
    entries.set(key, { sentAt: now, grouped: 0 });
    this.bound();
    return { send: true, count: 1 + (entry?.grouped ?? 0) };
  }

  /** The resource recovered (or is gone): its next failure is news again. */
  forget(resource: string): void {
    const entries = this.byResource.get(resource);
    if (!entries) return;
    this.size -= entries.size;
    this.byResource.delete(resource);
  }

  /** A Notifier went away: its entries with it. */
  forgetNotifier(notifier: string): void {
    for (const [resource, entries] of this.byResource) {
      for (const key of entries.keys()) {
        if (key.startsWith(`${notifier}\0`)) {
          entries.delete(key);
          this.size -= 1;
        }
      }
      if (entries.size === 0) this.byResource.delete(resource);
    }
  }

  get entries(): number {
    return this.size;
  }

  /** Past the bound: drop the resources offered least recently. */
  private bound(): void {
    if (this.size <= this.maxEntries) return;
    for (const [resource, entries] of this.byResource) {
      if (this.size <= this.maxEntries) return;
      this.size -= entries.size;
      this.byResource.delete(resource);
    }
  }
}
