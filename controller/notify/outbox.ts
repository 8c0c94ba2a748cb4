/**
 * One Notifier's queue of notifications: bounded (the oldest is dropped and counted when it is full), sent one at a
 * time in order, and a failed send retried with exponential backoff and jitter (a server's Retry-After respected)
 * until it goes through; the next one waits meanwhile. It tells its owner how sending goes (`onHealth`: idle, ok or
 * failing with the reason, and the counters), and nothing else: which notifications it gets is the dispatcher's
 * business, how a request is built and sent is wire/ and send.ts (given as `deliver`).
 */
import type { Notification } from './notification.js';
import type { SendResult } from './send.js';
import type { NotifierHealth } from '../../reconcilers/notifier/index.js';

/** What the health board keeps of a Notifier (reconcilers/notifier/health.ts), but the spec generation. */
export type OutboxHealth = Omit<NotifierHealth, 'generation'>;

export interface RetryPolicy {
  /** The wait after the first failure; doubled after each further one. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 5 * 60_000 };
/** Notifications a Notifier keeps waiting; past that the oldest is dropped (and counted). */
export const DEFAULT_QUEUE_CAPACITY = 100;

export interface OutboxOptions {
  /** Sends one notification (the signal aborts it when the outbox closes). */
  deliver(n: Notification, signal: AbortSignal): Promise<SendResult>;
  /** Told after every change of health or counters. */
  onHealth(health: OutboxHealth): void;
  /** Told when a notification is dropped because the queue was full. */
  onDropped?(n: Notification): void;
  retry?: RetryPolicy;
  capacity?: number;
}

/** The wait before attempt `failures + 1`: base·2^(failures−1), capped, ±20 % jitter. */
export function backoffMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

export class Outbox {
  private readonly queue: Notification[] = [];
  private readonly retry: RetryPolicy;
  private readonly capacity: number;
  private readonly stop = new AbortController();
  private health: OutboxHealth = { state: 'idle', message: '', lastSentTime: null, lastFailureTime: null, sent: 0, failed: 0, dropped: 0, queued: 0 };
  /** Consecutive failures of the notification at the head. */
  private failures = 0;
  private sending = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: OutboxOptions) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.capacity = opts.capacity ?? DEFAULT_QUEUE_CAPACITY;
  }

  get state(): OutboxHealth {
    return { ...this.health };
  }

  push(n: Notification): void {
    if (this.stop.signal.aborted) return;
    this.queue.push(n);
    while (this.queue.length > this.capacity) {
      // The head may be in flight: it is dropped from the queue all the same; its result only counts.
      const dropped = this.queue.shift()!;
      this.health.dropped += 1;
      this.opts.onDropped?.(dropped);
    }
    this.report({ queued: this.queue.length });
    this.pump();
  }

  /** The target changed (new URL or token file): health starts over (idle), and what waits is tried at once. */
  restart(): void {
    this.failures = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.report({ state: 'idle', message: '' });
    this.pump();
  }

  /** Resolves when nothing is queued or in flight (tests). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.sending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what waits and aborts a send in flight. */
  close(): void {
    this.stop.abort();
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.wakeIdle();
  }

  private pump(): void {
    if (this.sending || this.timer !== undefined || this.stop.signal.aborted) return;
    const head = this.queue[0];
    if (!head) return this.wakeIdle();
    this.sending = true;
    void this.opts.deliver(head, this.stop.signal).then(
      (result) => this.settle(head, result),
      (err: unknown) => this.settle(head, { ok: false, message: err instanceof Error ? err.message : String(err) }),
    );
  }

  private settle(head: Notification, result: SendResult): void {
    this.sending = false;
    if (this.stop.signal.aborted) return;
    const now = new Date().toISOString();
    if (result.ok) {
      if (this.queue[0] === head) this.queue.shift();
      this.failures = 0;
      this.report({ state: 'ok', message: '', lastSentTime: now, sent: this.health.sent + 1, queued: this.queue.length });
      this.pump();
      return;
    }
    this.failures += 1;
    this.report({ state: 'failing', message: result.message, lastFailureTime: now, failed: this.health.failed + 1, queued: this.queue.length });
    const waitMs = Math.max(result.retryAfterMs ?? 0, backoffMs(this.failures, this.retry));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, waitMs);
    this.timer.unref?.();
  }

  private report(change: Partial<OutboxHealth>): void {
    this.health = { ...this.health, ...change };
    this.opts.onHealth({ ...this.health });
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
