/**
 * Integration tests need real components (sshd, dockerd, LXC, mount). `integration(name, available, why)`
 * gives a `describe`/`it` that run when the component is there; when it is not, they are skipped with a
 * message saying why, except under `CI=true`, where a missing component makes the test fail.
 *
 *   const sshd = integration('sshd', existsSync('/usr/sbin/sshd'), 'openssh-server is not installed');
 *   sshd.describe('SshHost', () => { ... });
 */
import { describe, it } from 'vitest';

type SuiteBody = () => void;
type TestBody = () => unknown;

export interface Integration {
  readonly name: string;
  readonly available: boolean;
  describe(title: string, body: SuiteBody): void;
  it(title: string, body: TestBody, timeoutMs?: number): void;
}

export function integration(name: string, available: boolean, why = `${name} is not available on this machine`): Integration {
  const inCi = process.env.CI === 'true';
  const missing = (): never => {
    throw new Error(`integration component "${name}" is missing (CI=true makes this a failure): ${why}`);
  };
  const skipNote = `skipped: ${name} unavailable (${why})`;
  return {
    name,
    available,
    describe(title, body) {
      if (available) describe(title, body);
      else if (inCi) describe(title, () => it(`needs ${name}`, missing));
      else describe.skip(`${title} [${skipNote}]`, body);
    },
    it(title, body, timeoutMs) {
      if (available) it(title, body, timeoutMs);
      else if (inCi) it(title, missing);
      else it.skip(`${title} [${skipNote}]`, body);
    },
  };
}

/** The same helper under the name the brief uses. */
export const requireComponent = integration;

/** True when this process may mount filesystems (root on Linux). */
export function canMount(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}
