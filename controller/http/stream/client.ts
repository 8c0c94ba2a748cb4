/**
 * One connected reader of the status stream. Writes are bounded: before each frame the bytes the response still
 * holds for a slow reader (what the socket has not taken) are counted, and a reader that is more than
 * `maxBufferedBytes` behind is dropped (its connection destroyed), never buffered without bound. A stream also
 * has a lifetime: after `maxStreamMs` it is ended and the page reconnects (and gets a fresh snapshot).
 */
import type { ServerResponse } from 'node:http';

export type ClientGone = 'closed' | 'slow' | 'lifetime' | 'shutdown';

export class StreamClient {
  private gone = false;
  private readonly lifetime: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly limits: { maxBufferedBytes: number; maxStreamMs: number },
    private readonly onGone: (client: StreamClient, why: ClientGone) => void,
  ) {
    res.on('close', () => this.leave('closed'));
    this.lifetime = setTimeout(() => this.end('lifetime'), limits.maxStreamMs);
    this.lifetime.unref();
  }

  /** Writes `frame` unless the reader is too far behind (then drops it); false when the client is gone. */
  send(frame: string): boolean {
    if (this.gone) return false;
    const behind = this.res.writableLength;
    if (behind > 0 && behind + Buffer.byteLength(frame) > this.limits.maxBufferedBytes) {
      this.leave('slow');
      this.res.destroy();
      return false;
    }
    this.res.write(frame);
    return true;
  }

  /** Ends the stream cleanly (the reader sees the end and reconnects, unless the endpoint is shutting down). */
  end(why: ClientGone): void {
    if (this.gone) return;
    this.leave(why);
    this.res.end();
  }

  private leave(why: ClientGone): void {
    if (this.gone) return;
    this.gone = true;
    clearTimeout(this.lifetime);
    this.onGone(this, why);
  }
}
