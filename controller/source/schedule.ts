/**
 * When a git source fetches: one sync at a time, every `intervalMs` after the last one ended, and on request. A
 * request while a sync runs asks for one more after it (every request meanwhile shares that one), and syncs start at
 * least `minGapMs` apart, so no caller (a webhook storm, a stuck button) can make it fetch back to back or pile up
 * work. `close()` aborts the running sync through its signal and waits for it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface SyncScheduleOptions {
  intervalMs: number;
  minGapMs: number;
  /** A sync that threw (the sync reports its own failures; this is for the unexpected). */
  onError(err: unknown): void;
}

export class SyncSchedule {
  private readonly aborter = new AbortController();
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastStart = 0;
  private ticking = false;
  private closed = false;

  constructor(
    private readonly sync: (signal: AbortSignal) => Promise<void>,
    private readonly opts: SyncScheduleOptions,
  ) {}

  /** Aborted when the schedule closes: pass it to the sync's I/O. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Starts the interval (the first tick `intervalMs` after the last sync). */
  startTicking(): void {
    this.ticking = true;
    this.scheduleNext();
  }

  /** A sync now, or the one after the running one; resolves when it ended. */
  request(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.inFlight) return (this.inFlight = this.runOnce());
    this.queued ??= this.inFlight.then(() => {
      this.queued = null;
      return this.request();
    });
    return this.queued;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.aborter.abort();
    await this.inFlight?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
  }

  private async runOnce(): Promise<void> {
    try {
      const wait = this.lastStart + this.opts.minGapMs - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.aborter.signal }).catch(() => undefined);
      if (this.closed) return;
      this.lastStart = Date.now();
      await this.sync(this.aborter.signal);
    } catch (err) {
      if (!this.closed) this.opts.onError(err);
    } finally {
      this.inFlight = null;
      this.scheduleNext();
    }
  }

  private scheduleNext(): void {
    clearTimeout(this.timer);
    if (this.closed || !this.ticking) return;
    this.timer = setTimeout(() => void this.request(), this.opts.intervalMs);
    this.timer.unref();
  }
}
