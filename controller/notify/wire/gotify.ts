/**
 * gotify's message API (gotify.net/api-docs, `createMessage`): POST `{url}/message` with the application token in
 * the `X-Gotify-Key` header (not `?token=`, which ends up in access logs) and a JSON body `{title, message,
 * priority}`; the priority is a number (gotify's clients alert loudly from 8: a Warning is 8, anything else 5).
 */
import { bodyOf, titleOf, type Notification } from '../notification.js';
import { USER_AGENT, type OutgoingRequest } from './request.js';

export function gotifyPriority(type: Notification['type']): 5 | 8 {
  return type === 'Warning' ? 8 : 5;
}

/** The server's message endpoint: the base URL (a path prefix kept) with `/message`. */
export function gotifyMessageUrl(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/message`;
  return url.toString();
}

export function gotifyRequest(url: string, n: Notification, token: string | undefined): OutgoingRequest {
  return {
    url: gotifyMessageUrl(url),
    headers: {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...(token === undefined ? {} : { 'x-gotify-key': token }),
    },
    body: JSON.stringify({ title: titleOf(n), message: bodyOf(n), priority: gotifyPriority(n.type) }),
  };
}
