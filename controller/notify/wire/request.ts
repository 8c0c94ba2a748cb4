/**
 * An HTTP request a wire format builds (pure data: every format is a function from a notification to one of
 * these), and the header rules they share. Header values must be one line of Latin-1 for fetch; a value with
 * anything beyond printable ASCII is sent as an RFC 2047 encoded word (`=?UTF-8?B?…?=`), which ntfy decodes.
 */

export interface OutgoingRequest {
  /** Always POST. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Where the request goes, for messages: scheme, host and port only (a webhook's path may be its secret). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(an invalid URL)';
  }
}

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

/** A header value: as is when printable ASCII, else an RFC 2047 encoded word. */
export function headerText(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  return PRINTABLE_ASCII.test(line) ? line : `=?UTF-8?B?${Buffer.from(line, 'utf8').toString('base64')}?=`;
}

/** `Authorization: Bearer <token>` when there is a token. */
export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

export const USER_AGENT = 'homeostat';
