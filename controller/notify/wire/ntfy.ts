/**
 * ntfy's publish API (docs.ntfy.sh/publish): POST the message text to the topic URL, with the `Title`,
 * `Priority` (1–5: a Warning is 4, "high"; anything else 3, "default") and `Tags` headers (the first tag is an
 * emoji short code: ⚠️ for a Warning, ✅ for a recovery, ℹ️ otherwise) and, for a protected topic,
 * `Authorization: Bearer <access token>`.
 */
import { bodyOf, RECOVERED, titleOf, type Notification } from '../notification.js';
import { bearer, headerText, USER_AGENT, type OutgoingRequest } from './request.js';

export function ntfyPriority(type: Notification['type']): 3 | 4 {
  return type === 'Warning' ? 4 : 3;
}

function emojiTag(n: Notification): string {
  if (n.type === 'Warning') return 'warning';
  return n.reason === RECOVERED ? 'white_check_mark' : 'information_source';
}

export function ntfyRequest(url: string, n: Notification, token: string | undefined): OutgoingRequest {
  return {
    url,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'user-agent': USER_AGENT,
      title: headerText(titleOf(n)),
      priority: String(ntfyPriority(n.type)),
      tags: headerText([emojiTag(n), n.kind].join(',')),
      ...bearer(token),
    },
    body: bodyOf(n),
  };
}
