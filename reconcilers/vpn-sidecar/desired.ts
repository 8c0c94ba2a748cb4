/**
 * The containers a spec declares, pure: for the gateway and each dependent, its image, env, secret env (by file
 * and hash, never by value), published ports (all on the gateway) or mounts, and the hashes that go into its
 * labels. Comparing these hashes with a container's labels is how a changed declaration is found.
 */
import { parseDuration } from '../core/duration.js';
import { canonicalJson } from './canonical-json.js';
import { optionsOf, type ContainerOptions } from './container-options.js';
import { ownerOf, formatFieldHashes, LABELS, type Role } from './labels.js';
import { parsePortSpec, sortBindings, type PortBinding } from './ports.js';
import { sha256, type SecretHashes } from './secrets.js';
import type { VpnDependent, VpnSidecarSpec } from './spec.js';

export { canonicalJson };

/** Bump when homeostat changes how it creates containers: every managed container is then recreated once. */
export const GATEWAY_SHAPE = 'gateway-v1: NET_ADMIN, /dev/net/tun, restart unless-stopped';
export const DEPENDENT_SHAPE = 'dependent-v1: network container:<gateway id>, restart unless-stopped';

export interface DesiredSecretEnv {
  file: string;
  /** sha256 of the value; '' when it could not be read (never happens after a successful observe). */
  hash: string;
  /** How the file's value becomes the variable's value; default: as is. */
  format?: 'gluetun-apikey-role';
}

/**
 * gluetun (3.39.1 and later) refuses every control-server request until an auth method is configured. When the
 * spec gives `controlServer.apiKey` and does not configure auth itself, the gateway gets this variable with
 * `{"auth":"apikey","apikey":"<key>"}` (as a secret: the key never leaves the env).
 */
export const GLUETUN_AUTH_ENV = 'HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE';

/** The value a secret env variable gets from its file's value. */
export function secretEnvValue(secret: DesiredSecretEnv, fileValue: string): string {
  return secret.format === 'gluetun-apikey-role' ? JSON.stringify({ auth: 'apikey', apikey: fileValue }) : fileValue;
}

export interface DesiredContainer {
  role: Role;
  name: string;
  image: string;
  env: Record<string, string>;
  secretEnv: Record<string, DesiredSecretEnv>;
  /** Gateway only: every dependent's ports (and the control server's, unless it has a url). */
  ports: PortBinding[];
  /** Dependents only: `SOURCE:TARGET[:OPTIONS]` as declared. */
  volumes: string[];
  /** The compose-like options the declaration sets (command, user, restart, capabilities, ...). */
  options: ContainerOptions;
  /** `always`: a new image id under the same tag is a change, and creates pull first. */
  pull: 'missing' | 'always';
  /** Field → short hash; the spec-fields label. */
  fields: Record<string, string>;
  /** The spec-hash label. */
  specHash: string;
}

const DEFAULT_POLL_MS = 15_000;

/** The control server's URL as the controller reaches it. */
export function controlServerUrl(spec: VpnSidecarSpec): string {
  const server = spec.gateway.controlServer;
  return (server.url ?? `http://127.0.0.1:${server.port}`).replace(/\/+$/, '');
}

export function usesPortForwarding(spec: VpnSidecarSpec): boolean {
  return spec.dependents.some((d) => d.portForwarding !== undefined);
}

/** How often the watch reads the tunnel's state and the forwarded port (`controlServer.pollInterval`, 15 s when omitted). */
export function pollIntervalMs(spec: VpnSidecarSpec): number {
  const text = spec.gateway.controlServer.pollInterval;
  const ms = text === undefined ? null : parseDuration(text);
  return ms !== null && ms > 0 ? ms : DEFAULT_POLL_MS;
}

/**
 * Whether homeostat talks to the control server (tunnel state, public IP, forwarded port): when it has an API key
 * or a url, a dependent uses port forwarding, or the spec has a leak probe (which needs the tunnel's state).
 */
export function talksToControlServer(spec: VpnSidecarSpec): boolean {
  const server = spec.gateway.controlServer;
  return server.apiKey !== undefined || server.url !== undefined || usesPortForwarding(spec) || spec.leakProbe !== undefined;
}

/** The control server's port published on loopback, when homeostat talks to it and no url says where else. */
export function controlServerPublish(spec: VpnSidecarSpec): string | null {
  const server = spec.gateway.controlServer;
  if (!talksToControlServer(spec) || server.url !== undefined) return null;
  return `127.0.0.1:${server.port}:${server.port}/tcp`;
}

/** Every binding the gateway publishes. Specs that do not parse are skipped (validate reports them). */
export function gatewayPorts(spec: VpnSidecarSpec): PortBinding[] {
  const texts = spec.dependents.flatMap((d) => d.ports);
  const control = controlServerPublish(spec);
  if (control) texts.push(control);
  const bindings: PortBinding[] = [];
  for (const text of texts) {
    const parsed = parsePortSpec(text);
    if ('bindings' in parsed) bindings.push(...parsed.bindings);
  }
  const unique = new Map(bindings.map((b) => [JSON.stringify(b), b]));
  return sortBindings([...unique.values()]);
}

function shortHash(value: unknown): string {
  return sha256(canonicalJson(value)).slice(0, 12);
}

function secretEnvOf(refs: Record<string, { file: string }>, hashes: SecretHashes): Record<string, DesiredSecretEnv> {
  const out: Record<string, DesiredSecretEnv> = {};
  for (const [key, ref] of Object.entries(refs)) out[key] = { file: ref.file, hash: hashes[ref.file] ?? '' };
  return out;
}

function finish(partial: Omit<DesiredContainer, 'fields' | 'specHash'>, shape: string, extra: Record<string, unknown>): DesiredContainer {
  const fields: Record<string, string> = {
    image: shortHash(partial.image),
    env: shortHash(partial.env),
    // Names and value hashes: a changed secret changes this field without the value ever being stored.
    secretEnv: shortHash(Object.fromEntries(Object.entries(partial.secretEnv).map(([k, s]) => [k, s.format ? `${s.format}:${s.hash}` : s.hash]))),
    shape: shortHash(shape),
  };
  for (const [field, value] of Object.entries(extra)) fields[field] = shortHash(value);
  // Only the options that are set: a container made before an option existed keeps its hash.
  for (const [field, value] of Object.entries(partial.options)) fields[field] = shortHash(value);
  return { ...partial, fields, specHash: sha256(formatFieldHashes(fields)).slice(0, 16) };
}

function gluetunAuthEnv(spec: VpnSidecarSpec, hashes: SecretHashes): Record<string, DesiredSecretEnv> {
  const apiKey = spec.gateway.controlServer.apiKey;
  if (!apiKey || GLUETUN_AUTH_ENV in spec.gateway.env || GLUETUN_AUTH_ENV in spec.gateway.secretEnv) return {};
  return { [GLUETUN_AUTH_ENV]: { file: apiKey.file, hash: hashes[apiKey.file] ?? '', format: 'gluetun-apikey-role' } };
}

export function desiredGateway(spec: VpnSidecarSpec, hashes: SecretHashes): DesiredContainer {
  const ports = gatewayPorts(spec);
  return finish(
    {
      role: 'gateway',
      name: spec.gateway.name,
      image: spec.gateway.image,
      env: { ...spec.gateway.env },
      secretEnv: { ...secretEnvOf(spec.gateway.secretEnv, hashes), ...gluetunAuthEnv(spec, hashes) },
      ports,
      volumes: [],
      options: optionsOf(spec.gateway),
      pull: spec.gateway.pull ?? 'missing',
    },
    GATEWAY_SHAPE,
    { ports },
  );
}

export function desiredDependent(dependent: VpnDependent, hashes: SecretHashes): DesiredContainer {
  return finish(
    {
      role: 'dependent',
      name: dependent.name,
      image: dependent.image,
      env: { ...dependent.env },
      secretEnv: secretEnvOf(dependent.secretEnv, hashes),
      ports: [],
      volumes: [...dependent.volumes],
      options: optionsOf(dependent),
      pull: dependent.pull ?? 'missing',
    },
    DEPENDENT_SHAPE,
    { volumes: dependent.volumes },
  );
}

export function labelsOf(resourceName: string, desired: DesiredContainer): Record<string, string> {
  return {
    [LABELS.owner]: ownerOf(resourceName),
    [LABELS.role]: desired.role,
    [LABELS.specHash]: desired.specHash,
    [LABELS.specFields]: formatFieldHashes(desired.fields),
  };
}
