/**
 * The compose-like options a gateway or a dependent declares (command, user, restart policy, capabilities, devices,
 * tmpfs, limits, healthcheck, ...), pure: which of them a declaration sets, and how they become Docker's create
 * config, with Docker's semantics. A field enters the spec hash only when it is set, so that a container created
 * before the field existed is not recreated for it.
 */
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { durationMs } from '../core/duration.js';
import { canonicalJson } from './canonical-json.js';
import type { VpnGateway } from './spec.js';

/** The option fields, in the order `diff` prints them. `sysctls` is the gateway's only (validate says so). */
export const OPTION_FIELDS = [
  'command', 'entrypoint', 'user', 'workingDir', 'labels', 'stopGracePeriod', 'restart', 'capAdd', 'capDrop',
  'devices', 'tmpfs', 'readOnly', 'shmSize', 'ulimits', 'healthcheck', 'sysctls',
] as const;
export type OptionField = (typeof OPTION_FIELDS)[number];
export type ContainerOptions = Partial<Pick<VpnGateway, OptionField>>;

/** The restart policy when none is declared. */
export const RESTART_POLICY = 'unless-stopped';
/** The gateway's own needs, added to whatever it declares. */
export const TUN_DEVICE = '/dev/net/tun';
const GATEWAY_CAP = 'NET_ADMIN';

/** The option fields a declaration sets (undefined ones left out). */
export function optionsOf(declared: ContainerOptions): ContainerOptions {
  const options: Record<string, unknown> = {};
  for (const field of OPTION_FIELDS) if (declared[field] !== undefined) options[field] = declared[field];
  return options as ContainerOptions;
}

/** `+ command ["--flag","x"]`, one line per set field, for `diff`. */
export function describeOptions(options: ContainerOptions): string[] {
  return OPTION_FIELDS.filter((f) => options[f] !== undefined).map((f) => `+ ${f} ${showOption(options[f])}`);
}

export function showOption(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

/** `NET_ADMIN` for `CAP_NET_ADMIN` or `NET_ADMIN`: Docker takes both. */
export function capabilityName(cap: string): string {
  return cap.startsWith('CAP_') ? cap.slice(4) : cap;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** `HOST[:CONTAINER][:PERMISSIONS]` as `docker run --device` reads it. */
export function parseDevice(text: string): DeviceMapping {
  const [host = '', second, third] = text.split(':');
  const container = second?.startsWith('/') ? second : host;
  const permissions = second !== undefined && !second.startsWith('/') ? second : (third ?? 'rwm');
  return { PathOnHost: host, PathInContainer: container, CgroupPermissions: permissions };
}

const SIZE_UNIT: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes for `256m`, `1g`, `1024kb`, `65536` (Docker's binary units); null when it does not parse. */
export function parseByteSize(text: string): number | null {
  const match = /^([0-9]+)([bkmg]?)b?$/i.exec(text);
  if (!match) return null;
  const bytes = Number(match[1]) * SIZE_UNIT[match[2]!.toLowerCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** `{ Name, MaximumRetryCount }` for `on-failure:3`, `always`, ... (unless-stopped when not declared). */
export function restartPolicy(text: string | undefined): { Name: string; MaximumRetryCount?: number } {
  const [name = RESTART_POLICY, retries] = (text ?? RESTART_POLICY).split(':');
  return retries === undefined ? { Name: name } : { Name: name, MaximumRetryCount: Number(retries) };
}

/** Whole seconds, rounded up, as Docker's StopTimeout counts them. */
export function stopTimeoutSeconds(stopGracePeriod: string): number {
  return Math.ceil(durationMs(stopGracePeriod) / 1_000);
}

const NS_PER_MS = 1_000_000;

function healthcheckOf(h: NonNullable<ContainerOptions['healthcheck']>): NonNullable<ContainerCreateOptions['Healthcheck']> {
  const test = h.disable ? ['NONE'] : h.test;
  const out: NonNullable<ContainerCreateOptions['Healthcheck']> = {};
  if (test) out.Test = test;
  if (h.interval) out.Interval = durationMs(h.interval) * NS_PER_MS;
  if (h.timeout) out.Timeout = durationMs(h.timeout) * NS_PER_MS;
  if (h.startPeriod) out.StartPeriod = durationMs(h.startPeriod) * NS_PER_MS;
  if (h.retries !== undefined) out.Retries = h.retries;
  return out;
}

/** The top-level create fields the options set (Cmd, Entrypoint, User, WorkingDir, StopTimeout, Healthcheck). */
export function configOf(o: ContainerOptions): Partial<ContainerCreateOptions> {
  const config: Partial<ContainerCreateOptions> = {};
  if (o.command) config.Cmd = [...o.command];
  if (o.entrypoint) config.Entrypoint = o.entrypoint.length > 0 ? [...o.entrypoint] : [''];
  if (o.user !== undefined) config.User = o.user;
  if (o.workingDir !== undefined) config.WorkingDir = o.workingDir;
  if (o.stopGracePeriod !== undefined) config.StopTimeout = stopTimeoutSeconds(o.stopGracePeriod);
  if (o.healthcheck) config.Healthcheck = healthcheckOf(o.healthcheck);
  return config;
}

/**
 * The HostConfig fields the options set, with what a role always has: the restart policy (unless-stopped unless
 * declared), and for the gateway NET_ADMIN and /dev/net/tun (not repeated when declared, as gluetun's compose
 * files do).
 */
export function hostConfigOf(o: ContainerOptions, role: 'gateway' | 'dependent'): HostConfig {
  const host: HostConfig = { RestartPolicy: restartPolicy(o.restart) };
  const capAdd = [...(o.capAdd ?? [])];
  const devices = (o.devices ?? []).map(parseDevice);
  if (role === 'gateway') {
    if (!capAdd.some((c) => capabilityName(c) === GATEWAY_CAP)) capAdd.unshift(GATEWAY_CAP);
    if (!devices.some((d) => d.PathInContainer === TUN_DEVICE)) {
      devices.unshift({ PathOnHost: TUN_DEVICE, PathInContainer: TUN_DEVICE, CgroupPermissions: 'rwm' });
    }
  }
  if (capAdd.length > 0) host.CapAdd = capAdd;
  if (o.capDrop) host.CapDrop = [...o.capDrop];
  if (devices.length > 0) host.Devices = devices;
  if (o.tmpfs) host.Tmpfs = Object.fromEntries(o.tmpfs.map((t) => splitTmpfs(t)));
  if (o.readOnly !== undefined) host.ReadonlyRootfs = o.readOnly;
  if (o.shmSize !== undefined) host.ShmSize = parseByteSize(o.shmSize) ?? undefined;
  if (o.ulimits) {
    host.Ulimits = Object.entries(o.ulimits).map(([Name, v]) => ({ Name, Soft: v.soft, Hard: v.hard }));
  }
  if (o.sysctls) (host as HostConfig & { Sysctls?: Record<string, string> }).Sysctls = { ...o.sysctls };
  return host;
}

/** `/run:size=64m` → [`/run`, `size=64m`]. */
export function splitTmpfs(text: string): [string, string] {
  const colon = text.indexOf(':');
  return colon < 0 ? [text, ''] : [text.slice(0, colon), text.slice(colon + 1)];
}
