/**
 * What the dispatcher (controller/notify) knows about each Notifier's sending, for its reconciler to report: the
 * dispatcher writes an entry after every send, the reconciler's observe reads it. A small in-process board, one per
 * process (one controller runs per process): the dispatcher is the only writer and deletes what it wrote when it
 * stops or a Notifier goes. An entry is about one generation of the spec: after an edit the reconciler ignores the
 * old one (the new URL or token has not failed yet). Never a secret: messages name the server, not the token.
 */

export interface NotifierHealth {
  /** The spec generation the dispatcher sends with. */
  generation: string;
  /** `idle`: nothing sent or tried yet with this generation. */
  state: 'idle' | 'ok' | 'failing';
  /** Why the latest send failed (state `failing`): the HTTP status or the error, and the server. */
  message: string;
  lastSentTime: string | null;
  lastFailureTime: string | null;
  /** Counters since the controller started. */
  sent: number;
  failed: number;
  /** Notifications dropped because the queue was full (the oldest go first). */
  dropped: number;
  /** Notifications waiting to be sent. */
  queued: number;
}

export class NotifierHealthBoard {
  private readonly byName = new Map<string, NotifierHealth>();

  get(name: string): NotifierHealth | undefined {
    return this.byName.get(name);
  }

  set(name: string, health: NotifierHealth): void {
    this.byName.set(name, { ...health });
  }

  delete(name: string): void {
    this.byName.delete(name);
  }
}

/** The process's board: the dispatcher writes it, the Notifier reconciler reads it. */
export const notifierHealth = new NotifierHealthBoard();
