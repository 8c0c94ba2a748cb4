/**
 * The wire formats, one per Notifier `type`: each turns a notification (and the token, when there is one) into the
 * HTTP request its server expects. Pure; sending is send.ts.
 */
import type { NotifierSpec } from '../../../reconcilers/notifier/index.js';
import type { Notification } from '../notification.js';
import { gotifyRequest } from './gotify.js';
import { ntfyRequest } from './ntfy.js';
import type { OutgoingRequest } from './request.js';
import { webhookRequest } from './webhook.js';

export { gotifyMessageUrl, gotifyPriority } from './gotify.js';
export { ntfyPriority } from './ntfy.js';
export { headerText, originOf, type OutgoingRequest } from './request.js';

const FORMATS: Record<NotifierSpec['type'], (url: string, n: Notification, token: string | undefined) => OutgoingRequest> = {
  ntfy: ntfyRequest,
  gotify: gotifyRequest,
  webhook: webhookRequest,
};

export function buildRequest(spec: Pick<NotifierSpec, 'type' | 'url'>, n: Notification, token: string | undefined): OutgoingRequest {
  return FORMATS[spec.type](spec.url, n, token);
}
