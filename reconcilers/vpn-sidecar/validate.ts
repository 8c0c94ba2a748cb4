/**
 * Spec checks the CRD schema cannot express (pure). Each problem names the field. The options a dependent may
 * not have (it shares the gateway's network stack) are accepted by the schema only so that they fail here,
 * with the reason, as a condition on the resource.
 */
import { isIP } from 'node:net';
import { invalidSpec, type Problem } from '../core/problem.js';
import { controlServerPublish } from './desired.js';
import { imageRefProblem } from './image-ref.js';
import { portProblems, type DeclaredPort } from './ports.js';
import { optionProblems } from './validate-options.js';
import type { VpnDependent, VpnSidecarSpec } from './spec.js';

const FORBIDDEN: Array<[keyof VpnDependent, string]> = [
  ['hostname', 'it shares the gateway\'s network stack, hostname included; set the hostname on the gateway'],
  ['dns', 'DNS servers come from the gateway\'s network stack (gluetun resolves through the tunnel); set them on the gateway'],
  ['extraHosts', '/etc/hosts entries belong to the gateway\'s network stack; set them on the gateway'],
  ['macAddress', 'it has no network interface of its own, so no MAC address'],
  ['networkMode', 'homeostat sets network mode container:<gateway id>; any other mode bypasses the kill switch'],
  ['networks', 'it joins no network of its own: a network of its own would bypass the kill switch'],
  ['sysctls', 'Docker refuses sysctls on a container in another\'s network namespace; set them on the gateway (its dependents share them)'],
];

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const VOLUME_OPTIONS = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

export function validateSpec(spec: VpnSidecarSpec): Problem<'InvalidSpec'>[] {
  const problems: Problem<'InvalidSpec'>[] = [];
  const imageProblem = imageRefProblem(spec.gateway.image);
  if (imageProblem) problems.push(invalidSpec('spec.gateway.image', `not a valid image reference: ${imageProblem}`));
  checkEnv(spec.gateway.env, spec.gateway.secretEnv, 'spec.gateway', problems);
  problems.push(...optionProblems(spec.gateway, 'spec.gateway', 'gateway'));

  const names = new Map<string, string>([[spec.gateway.name, 'spec.gateway.name']]);
  const ports: DeclaredPort[] = [];
  const forwarding: string[] = [];
  spec.dependents.forEach((dependent, i) => {
    const at = `spec.dependents[${i}]`;
    const clash = names.get(dependent.name);
    if (clash) problems.push(invalidSpec(`${at}.name`, `"${dependent.name}" is already the name of ${clash}; container names must be distinct`));
    else names.set(dependent.name, `${at}.name`);
    const problem = imageRefProblem(dependent.image);
    if (problem) problems.push(invalidSpec(`${at}.image`, `not a valid image reference: ${problem}`));
    for (const [field, why] of FORBIDDEN) {
      if (dependent[field] !== undefined) {
        problems.push(invalidSpec(`${at}.${field}`, `not allowed on a dependent (network mode container:${spec.gateway.name}): ${why}`));
      }
    }
    checkEnv(dependent.env, dependent.secretEnv, at, problems);
    checkVolumes(dependent.volumes, at, problems);
    problems.push(...optionProblems({ ...dependent, sysctls: undefined }, at, 'dependent', dependent.volumes.map((v) => v.split(':')[1] ?? '')));
    dependent.ports.forEach((text, j) => ports.push({ field: `${at}.ports[${j}]`, text }));
    if (dependent.portForwarding) forwarding.push(`${at}.portForwarding`);
  });
  const control = controlServerPublish(spec);
  if (control) ports.push({ field: 'spec.gateway.controlServer.port (published on 127.0.0.1 for homeostat)', text: control });
  problems.push(...portProblems(ports));
  if (forwarding.length > 1) {
    problems.push(
      invalidSpec(
        forwarding[1]!,
        `only one dependent can receive the forwarded port (they share one network stack, so only one can listen on it); ${forwarding[0]} already does`,
      ),
    );
  }
  const probe = spec.leakProbe;
  if (probe && isIP(probe.address) === 0) {
    problems.push(invalidSpec('spec.leakProbe.address', `"${probe.address}" is not an IP address (a name would be resolved through the tunnel's DNS)`));
  }
  return problems;
}

function checkEnv(env: Record<string, string>, secretEnv: Record<string, unknown>, at: string, problems: Problem<'InvalidSpec'>[]): void {
  for (const [field, keys] of [['env', Object.keys(env)], ['secretEnv', Object.keys(secretEnv)]] as const) {
    for (const key of keys) {
      if (key === '' || key.includes('=') || /[\u0000-\u001f]/.test(key)) {
        problems.push(invalidSpec(`${at}.${field}`, `${JSON.stringify(key)} is not an environment variable name (no "=", no control characters)`));
      }
    }
  }
  for (const key of Object.keys(secretEnv)) {
    if (key in env) problems.push(invalidSpec(`${at}.secretEnv.${key}`, `${key} is also set in ${at}.env; declare it once`));
  }
}

function checkVolumes(volumes: readonly string[], at: string, problems: Problem<'InvalidSpec'>[]): void {
  const targets = new Map<string, number>();
  volumes.forEach((volume, i) => {
    const field = `${at}.volumes[${i}]`;
    const [source = '', target = '', options] = volume.split(':');
    if (!source.startsWith('/') && !VOLUME_NAME.test(source)) {
      problems.push(invalidSpec(field, `the source "${source}" must be an absolute host path or a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)`));
    }
    if (!target.startsWith('/')) problems.push(invalidSpec(field, `the target "${target}" must be an absolute path in the container`));
    for (const option of options ? options.split(',') : []) {
      if (!VOLUME_OPTIONS.has(option)) problems.push(invalidSpec(field, `unknown mount option "${option}" (one of ${[...VOLUME_OPTIONS].join(', ')})`));
    }
    const previous = targets.get(target);
    if (previous !== undefined) problems.push(invalidSpec(field, `${target} is already mounted by ${at}.volumes[${previous}]`));
    else targets.set(target, i);
  });
}
