/**
 * The Notifiers in force, each with its outbox: opened, re-targeted (an edited spec starts its health over and
 * retries what waits at once) and closed as the store's Notifier resources come and go; each send made with the
 * Notifier's token (read at every send) and wire format. The link to the Notifier kind lives here: after every
 * send the outbox's health goes on the board its reconciler reads (reconcilers/notifier/health.ts), and when a
 * Notifier starts or stops failing, or fails differently, the controller is asked to reconcile it (`reconcileNow`),
 * which makes it not Ready (Degraded/SendFailed) or Ready again.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { redact } from '../../reconcilers/core/redact.js';
import { notifierHealth, readToken } from '../../reconcilers/notifier/index.js';
import { notificationsCounter } from './metrics.js';
import type { Notification } from './notification.js';
import { Outbox, type OutboxHealth, type RetryPolicy } from './outbox.js';
import { sendRequest, type SendResult } from './send.js';
import { NOTIFIER_KIND, type NotifierTarget } from './targets.js';
import { buildRequest } from './wire/index.js';

export interface RoutesOptions {
  reconcileNow(key: string): void;
  log: Logger;
  retry?: RetryPolicy;
  queueCapacity?: number;
  requestTimeoutMs?: number;
}

export interface Route {
  target: NotifierTarget;
  outbox: Outbox;
  /** What the board last said, to ask for a reconcile only when it changes. */
  reported: Pick<OutboxHealth, 'state' | 'message'>;
}

export class NotifierRoutes {
  private readonly byName = new Map<string, Route>();
  private readonly counter = notificationsCounter();
  private closed = false;

  constructor(private readonly opts: RoutesOptions) {}

  get size(): number {
    return this.byName.size;
  }

  entries(): IterableIterator<[string, Route]> {
    return this.byName.entries();
  }

  /** Brings the routes in line with `targets`; returns the names of the Notifiers that went away. */
  sync(targets: ReadonlyMap<string, NotifierTarget>): string[] {
    const gone: string[] = [];
    for (const [name, route] of this.byName) {
      if (targets.has(name)) continue;
      route.outbox.close();
      this.byName.delete(name);
      notifierHealth.delete(name);
      gone.push(name);
    }
    for (const [name, target] of targets) {
      const route = this.byName.get(name);
      if (!route) {
        this.byName.set(name, this.open(target));
      } else if (route.target.generation !== target.generation) {
        route.target = target;
        route.outbox.restart();
      }
    }
    return gone;
  }

  /** A repeat counted into a later message (for the metric). */
  countGrouped(name: string): void {
    this.counter.inc({ notifier: name, result: 'grouped' });
  }

  /** Resolves when every outbox is idle (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.byName.values()].map((r) => r.outbox.idle()));
  }

  close(): void {
    this.closed = true;
    for (const [name, route] of this.byName) {
      route.outbox.close();
      notifierHealth.delete(name);
    }
    this.byName.clear();
  }

  private open(target: NotifierTarget): Route {
    const name = target.name;
    const route: Route = {
      target,
      reported: { state: 'idle', message: '' },
      outbox: new Outbox({
        deliver: (n, signal) => this.deliver(route.target, n, signal),
        onHealth: (health) => this.onHealth(route, health),
        onDropped: () => this.counter.inc({ notifier: name, result: 'dropped' }),
        ...(this.opts.retry ? { retry: this.opts.retry } : {}),
        ...(this.opts.queueCapacity !== undefined ? { capacity: this.opts.queueCapacity } : {}),
      }),
    };
    notifierHealth.set(name, { generation: target.generation, ...route.outbox.state });
    return route;
  }

  private async deliver(target: NotifierTarget, n: Notification, signal: AbortSignal): Promise<SendResult> {
    let token: string | undefined;
    try {
      token = await readToken(target.spec);
    } catch (err) {
      return { ok: false, message: errorMessage(err) }; // names the field and the file, never the content
    }
    const request = buildRequest(target.spec, n, token);
    const result = await sendRequest({ ...request, body: redact(request.body) }, {
      signal,
      ...(this.opts.requestTimeoutMs !== undefined ? { timeoutMs: this.opts.requestTimeoutMs } : {}),
    });
    this.counter.inc({ notifier: target.name, result: result.ok ? 'sent' : 'failed' });
    if (!result.ok) this.opts.log.debug({ notifier: target.name, err: result.message }, 'a notification could not be sent');
    return result.ok ? result : { ...result, message: redact(result.message) };
  }

  private onHealth(route: Route, health: OutboxHealth): void {
    const name = route.target.name;
    if (this.closed || this.byName.get(name) !== route) return;
    notifierHealth.set(name, { generation: route.target.generation, ...health });
    const before = route.reported;
    if (before.state === health.state && before.message === health.message) return;
    const failingChanged = (before.state === 'failing') !== (health.state === 'failing');
    route.reported = { state: health.state, message: health.message };
    if (!failingChanged && health.state !== 'failing') return; // idle ↔ ok: Ready either way
    if (health.state === 'failing') this.opts.log.warn({ notifier: name, err: health.message }, 'notifications cannot be sent; retrying with backoff');
    else this.opts.log.info({ notifier: name }, 'notifications are sent again');
    this.opts.reconcileNow(`${NOTIFIER_KIND}/${name}`);
  }
}
