/**
 * Checks of the compose-like options (container-options.ts) that the CRD schema cannot express (pure), for the
 * gateway and for a dependent alike. Each problem names the field. The rule that a dependent may not set sysctls
 * is validate.ts's, with the other options container network mode forbids.
 */
import { invalidSpec, type Problem } from '../core/problem.js';
import { capabilityName, parseByteSize, splitTmpfs, type ContainerOptions } from './container-options.js';

/** Label keys homeostat keeps for itself (owner, role, spec hashes): a user label may not set them. */
export const RESERVED_LABEL_PREFIX = 'dev.homeostat.';

/** The limits Docker knows (`docker run --ulimit`). */
const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);
const HEALTH_TESTS = new Set(['CMD', 'CMD-SHELL', 'NONE']);

export function optionProblems(
  o: ContainerOptions,
  at: string,
  role: 'gateway' | 'dependent',
  volumeTargets: readonly string[] = [],
): Problem<'InvalidSpec'>[] {
  const problems: Problem<'InvalidSpec'>[] = [];
  for (const key of Object.keys(o.labels ?? {})) {
    if (key === '' || key.startsWith(RESERVED_LABEL_PREFIX)) {
      problems.push(invalidSpec(`${at}.labels`, `${JSON.stringify(key)} is not allowed: labels under ${RESERVED_LABEL_PREFIX} are homeostat's own (owner, role, spec hashes)`));
    }
  }
  if (role === 'gateway') {
    (o.capDrop ?? []).forEach((cap, i) => {
      if (capabilityName(cap) === 'NET_ADMIN') {
        problems.push(invalidSpec(`${at}.capDrop[${i}]`, 'the gateway needs NET_ADMIN (its firewall is the kill switch); it cannot be dropped'));
      }
    });
  }
  if (o.shmSize !== undefined && parseByteSize(o.shmSize) === null) problems.push(invalidSpec(`${at}.shmSize`, `"${o.shmSize}" is too large`));
  for (const [name, limit] of Object.entries(o.ulimits ?? {})) {
    if (!ULIMITS.has(name)) problems.push(invalidSpec(`${at}.ulimits.${name}`, `unknown limit (one of ${[...ULIMITS].join(', ')})`));
    if (typeof limit === 'object' && limit.hard !== -1 && (limit.soft === -1 || limit.soft > limit.hard)) {
      problems.push(invalidSpec(`${at}.ulimits.${name}`, `the soft limit ${limit.soft} is above the hard limit ${limit.hard}`));
    }
  }
  const health = o.healthcheck;
  if (health) {
    const test = health.test;
    if (test && !HEALTH_TESTS.has(test[0]!)) {
      problems.push(invalidSpec(`${at}.healthcheck.test`, `must start with CMD, CMD-SHELL or NONE (or be a string, run by the shell), not "${test[0]}"`));
    } else if (test && test[0] !== 'NONE' && test.length < 2) {
      problems.push(invalidSpec(`${at}.healthcheck.test`, `${test[0]} needs the command after it`));
    }
    if (health.disable && test && test[0] !== 'NONE') problems.push(invalidSpec(`${at}.healthcheck.disable`, 'disable: true and a test contradict each other; keep one'));
  }
  const targets = new Set(volumeTargets);
  (o.tmpfs ?? []).forEach((entry, i) => {
    const [path] = splitTmpfs(entry);
    if (targets.has(path)) problems.push(invalidSpec(`${at}.tmpfs[${i}]`, `${path} is already mounted by ${at}.volumes`));
    targets.add(path);
  });
  return problems;
}
