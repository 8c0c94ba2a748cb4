import { describe, expect, it } from 'vitest';
import type { NotifierSpec } from './spec.js';
import { validateNotifierSpec } from './validate.js';

const spec = (fields: Partial<NotifierSpec>): NotifierSpec => ({ type: 'webhook', url: 'https://hooks.example/lab', severity: 'warning', kinds: [], names: [], ...fields });
const problems = (fields: Partial<NotifierSpec>) => validateNotifierSpec(spec(fields)).map((p) => `${p.path}: ${p.message}`);

describe('validateNotifierSpec', () => {
  it('accepts the documented shapes', () => {
    expect(problems({ type: 'ntfy', url: 'https://ntfy.sh/my-lab-topic', tokenFile: '/etc/homeostat/secrets/ntfy-token' })).toEqual([]);
    expect(problems({ type: 'ntfy', url: 'http://10.0.0.5:8080/ntfy/lab_alerts' })).toEqual([]);
    expect(problems({ type: 'gotify', url: 'https://gotify.example.com/', tokenFile: '/etc/homeostat/secrets/gotify' })).toEqual([]);
    expect(problems({ type: 'webhook', url: 'http://127.0.0.1:9000/hook?source=homeostat' })).toEqual([]);
  });

  it('names the field: credentials in the URL, an ntfy URL without a topic, gotify without its token', () => {
    expect(problems({ url: 'https://user:secret@hooks.example/x' })).toEqual([
      'spec.url: must not carry credentials (user:password@): put the token in a file and name it in spec.tokenFile',
    ]);
    expect(problems({ type: 'ntfy', url: 'https://ntfy.sh/' })[0]).toMatch(/^spec\.url: an ntfy URL ends in the topic/);
    expect(problems({ type: 'ntfy', url: 'https://ntfy.sh/a.b' })[0]).toMatch(/^spec\.url: an ntfy URL ends in the topic/);
    expect(problems({ type: 'gotify', url: 'https://gotify.example.com/?token=abc' })).toEqual([
      'spec.tokenFile: gotify needs an application token: name the file that holds it',
      'spec.url: must not carry ?token=: the token is read from spec.tokenFile and sent as X-Gotify-Key',
    ]);
  });
});
