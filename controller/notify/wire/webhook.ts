/**
 * The generic webhook: POST the notification as JSON, `{kind, name, host, type, reason, message, count, time}`, with
 * `Authorization: Bearer <token>` when the Notifier has a token.
 */
import { cutMessage, type Notification } from '../notification.js';
import { bearer, USER_AGENT, type OutgoingRequest } from './request.js';

export function webhookRequest(url: string, n: Notification, token: string | undefined): OutgoingRequest {
  const body = { kind: n.kind, name: n.name, host: n.host, type: n.type, reason: n.reason, message: cutMessage(n.message), count: n.count, time: n.time };
  return { url, headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...bearer(token) }, body: JSON.stringify(body) };
}
