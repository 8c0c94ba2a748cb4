/**
 * Docker's create options for a declared container, pure: the gateway with NET_ADMIN, /dev/net/tun and every
 * published port; a dependent on `container:<gateway id>` with its mounts and none of the options that mode
 * forbids; both with the compose-like options they declare (container-options.ts). Secret values are passed in by
 * apply (read at that moment) and only ever end up in `Env`.
 */
import type { ContainerCreateOptions } from 'dockerode';
import { configOf, hostConfigOf } from './container-options.js';
import { labelsOf, secretEnvValue, type DesiredContainer } from './desired.js';
import type { VolumeMount } from './model.js';
import { dockerPorts } from './ports.js';

export { RESTART_POLICY } from './container-options.js';

export function createOptions(
  resourceName: string,
  desired: DesiredContainer,
  secretValues: Readonly<Record<string, string>>,
  opts: { gatewayId?: string; carry?: readonly VolumeMount[] } = {},
): ContainerCreateOptions {
  const env = Object.entries(desired.env).map(([k, v]) => `${k}=${v}`);
  for (const [k, s] of Object.entries(desired.secretEnv)) {
    const value = secretValues[s.file];
    if (value === undefined) throw new Error(`internal: the secret for ${k} (${s.file}) was not read`);
    env.push(`${k}=${secretEnvValue(s, value)}`);
  }
  const base: ContainerCreateOptions = {
    name: desired.name,
    Image: desired.image,
    Env: env,
    ...configOf(desired.options),
    // homeostat's own labels last: validate refuses user labels under dev.homeostat., this keeps them anyway.
    Labels: { ...desired.options.labels, ...labelsOf(resourceName, desired) },
  };
  const hostConfig = hostConfigOf(desired.options, desired.role);
  if (desired.role === 'gateway') {
    const { ExposedPorts, PortBindings } = dockerPorts(desired.ports);
    return { ...base, ExposedPorts, HostConfig: { ...hostConfig, PortBindings } };
  }
  if (!opts.gatewayId) throw new Error(`internal: ${desired.name} needs the gateway's id`);
  const carried = (opts.carry ?? []).map((v) => `${v.name}:${v.destination}${v.readOnly ? ':ro' : ''}`);
  return {
    ...base,
    HostConfig: { ...hostConfig, NetworkMode: `container:${opts.gatewayId}`, Binds: [...desired.volumes, ...carried] },
  };
}
