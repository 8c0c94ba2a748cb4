/**
 * Notifier spec checks the CRD schema cannot express (pure): a URL that parses and carries no credentials (they
 * belong in `tokenFile`, which is never shown), an ntfy URL that names a topic, and a gotify Notifier with the
 * application token gotify requires. Each problem names its field; the resource is Stalled/InvalidSpec until the
 * spec changes, and the dispatcher sends nothing through it meanwhile.
 */
import { invalidSpec, type Problem } from '../core/problem.js';
import type { NotifierSpec } from './spec.js';

/** ntfy's topic names (server.go: `topicRegex`). */
const NTFY_TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

export function validateNotifierSpec(spec: NotifierSpec): Problem<'InvalidSpec'>[] {
  const problems: Problem<'InvalidSpec'>[] = [];
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    return [invalidSpec('spec.url', `is not a URL: "${spec.url}"`)];
  }
  if (url.username !== '' || url.password !== '') {
    problems.push(invalidSpec('spec.url', 'must not carry credentials (user:password@): put the token in a file and name it in spec.tokenFile'));
  }
  if (spec.type === 'ntfy') {
    const topic = url.pathname.split('/').pop() ?? '';
    if (!NTFY_TOPIC.test(topic)) {
      problems.push(invalidSpec('spec.url', `an ntfy URL ends in the topic (1 to 64 letters, digits, - or _), e.g. https://ntfy.sh/my-lab-topic; got "${url.pathname}"`));
    }
  }
  if (spec.type === 'gotify') {
    if (!spec.tokenFile) problems.push(invalidSpec('spec.tokenFile', 'gotify needs an application token: name the file that holds it'));
    if (url.searchParams.has('token')) {
      problems.push(invalidSpec('spec.url', 'must not carry ?token=: the token is read from spec.tokenFile and sent as X-Gotify-Key'));
    }
  }
  return problems;
}
