/**
 * What one notification says, whatever carries it: the webhook's JSON body as is, and what ntfy's and gotify's
 * messages are made of. `kind`/`name` name the resource (`Controller`/`<condition type>` for the controller's own
 * conditions, e.g. `Controller/PruneHeld`); `host` is the Host the resource acts on; `count` is how many
 * occurrences the message stands for (itself and the repeats grouped since the last message of the same resource and
 * reason); `time` is when it happened (ISO 8601).
 */

export interface Notification {
  kind: string;
  name: string;
  host: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  time: string;
}

/** A notification before grouping has counted it. */
export type Occurrence = Omit<Notification, 'count'> & {
  /** A Ready recovery (or a controller condition back to normal): ends the grouping of the resource's repeats. */
  resolves?: boolean;
};

/** The kind controller conditions are notified under. */
export const CONTROLLER_KIND = 'Controller';

/** The reason of a recovery. */
export const RECOVERED = 'Recovered';

/** `KIND/NAME`, the resource a notification is about. */
export function subjectOf(n: Pick<Notification, 'kind' | 'name'>): string {
  return `${n.kind}/${n.name}`;
}

/** One line for a title: `StorageKeepalive/hdd: NotMounted`, with the count when it stands for repeats. */
export function titleOf(n: Notification): string {
  return `${subjectOf(n)}: ${n.reason}${n.count > 1 ? ` (${n.count} times)` : ''}`;
}

/** The text of a message: what happened, where, and how often when repeats were grouped. */
export function bodyOf(n: Notification): string {
  const lines = [cutMessage(n.message || n.reason), `host ${n.host || '-'} · ${n.time}`];
  if (n.count > 1) lines.push(`${n.count} times since the last message about this`);
  return lines.join('\n');
}

/**
 * Messages are cut here: ntfy keeps at most 4,096 bytes as a message (more becomes an attachment or is refused), and
 * 1,200 UTF-16 units are at most 3,600 bytes of UTF-8.
 */
export const MAX_MESSAGE_CHARS = 1200;

/** `text`, cut to `max` characters (the last one an ellipsis) when longer. */
export function cutMessage(text: string, max = MAX_MESSAGE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
