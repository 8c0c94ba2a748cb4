/**
 * A container's configuration as Docker holds it, beside its image's defaults, as plain data: what in-place
 * adoption compares with a declaration (plan/adoption.ts) and what `import host` turns into one
 * (controller/import/vpn-sidecar.ts). Both read it through the rules here, so they cannot drift apart: the
 * variables the container sets beyond its image's own, the labels that are neither the image's, compose's nor
 * homeostat's, the mounts from Binds and Mounts, and the settings the VpnSidecar spec has no field for (each named,
 * so that a container using one is never taken for what homeostat would create). Env values are hashed here.
 */
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { sha256 } from './secrets.js';

/** Docker's /dev/shm size when none is given (64 MiB). */
export const DOCKER_SHM_DEFAULT = 64 * 1024 * 1024;

/** compose's bookkeeping labels and homeostat's own namespace: neither is part of what a declaration says. */
export function isBookkeepingLabel(key: string): boolean {
  return key.startsWith('com.docker.compose.') || key.startsWith('dev.homeostat.');
}

/** `NAME=value` entries as [name, value]. */
export function envEntries(env: readonly string[] | null | undefined): Array<[string, string]> {
  return (env ?? []).flatMap((entry) => {
    const eq = entry.indexOf('=');
    return eq > 0 ? [[entry.slice(0, eq), entry.slice(eq + 1)] as [string, string]] : [];
  });
}

/** The variables a container sets beyond its image's own (a variable with the image's name and value is the image's). */
export function ownEnv(containerEnv: readonly string[] | null | undefined, imageEnv: readonly string[] | null | undefined): Array<[string, string]> {
  const inherited = new Set(imageEnv ?? []);
  return envEntries(containerEnv).filter(([name, value]) => !inherited.has(`${name}=${value}`));
}

/** Labels a container has beyond its image's (same key and value) and the bookkeeping ones. */
export function ownLabels(labels: Readonly<Record<string, string>> | null | undefined, imageLabels: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (isBookkeepingLabel(key) || imageLabels?.[key] === value) continue;
    out[key] = value;
  }
  return out;
}

export interface LiveHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export interface LiveDevice {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** A container's configuration and its image's defaults, in Docker's terms. No env value, only hashes. */
export interface LiveConfig {
  image: string;
  /** sha256 of each variable the container sets beyond its image's, by name. */
  envHashes: Record<string, string>;
  /** sha256 of each variable the image sets, by name. */
  imageEnvHashes: Record<string, string>;
  cmd: string[] | null;
  entrypoint: string[] | null;
  user: string;
  workingDir: string;
  /** Every label but the bookkeeping ones (image labels included: a container homeostat creates inherits them too). */
  labels: Record<string, string>;
  stopTimeout: number | null;
  healthcheck: LiveHealthcheck | null;
  imageDefaults: { cmd: string[] | null; entrypoint: string[] | null; user: string; workingDir: string; labels: Record<string, string>; healthcheck: LiveHealthcheck | null };
  restart: { Name: string; MaximumRetryCount: number };
  capAdd: string[];
  capDrop: string[];
  devices: LiveDevice[];
  tmpfs: Record<string, string>;
  readOnly: boolean;
  shmSize: number;
  ulimits: Array<{ Name: string; Soft: number; Hard: number }>;
  sysctls: Record<string, string>;
  portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
  /** Binds and Mounts as `SOURCE:TARGET[:OPTIONS]`. */
  mounts: string[];
  networkMode: string;
  /** Settings away from Docker's defaults that the spec has no field for: `privileged`, `dns 1.1.1.1`, ... */
  uncarried: string[];
}

type HostConfigIn = NonNullable<ContainerInspectInfo['HostConfig']> & Record<string, unknown>;

/** Settings of HostConfig / Config the spec cannot express, with Docker's default told apart from a set value. */
export function uncarriedSettings(info: ContainerInspectInfo): string[] {
  const h = (info.HostConfig ?? {}) as HostConfigIn;
  const c = info.Config as ContainerInspectInfo['Config'] & Record<string, unknown>;
  const out: string[] = [];
  const list = (key: string, value: unknown) => {
    if (Array.isArray(value) && value.length > 0) out.push(`${key} ${value.join(', ')}`);
  };
  const text = (key: string, value: unknown, defaults: readonly string[] = ['']) => {
    if (typeof value === 'string' && !defaults.includes(value)) out.push(`${key} ${value}`);
  };
  const positive = (key: string, value: unknown) => {
    if (typeof value === 'number' && value > 0) out.push(`${key} ${value}`);
  };
  if (h.Privileged) out.push('privileged');
  list('security_opt', h.SecurityOpt);
  text('pid', h.PidMode);
  text('ipc', h.IpcMode, ['', 'private', 'shareable']);
  text('uts', h.UTSMode);
  text('userns_mode', h.UsernsMode);
  positive('mem_limit', h.Memory);
  positive('memswap_limit', h.MemorySwap);
  positive('cpus (NanoCpus)', h.NanoCpus);
  positive('cpu_shares', h.CpuShares);
  positive('cpu_quota', h.CpuQuota);
  text('cpuset', h.CpusetCpus);
  positive('pids_limit', h.PidsLimit);
  if (h.OomKillDisable) out.push('oom_kill_disable');
  if (h.Init) out.push('init');
  list('group_add', h.GroupAdd);
  list('extra_hosts', h.ExtraHosts);
  list('dns', h.Dns);
  list('dns_search', h.DnsSearch);
  list('dns_opt', h.DnsOptions);
  list('volumes_from', h.VolumesFrom);
  list('links', h.Links);
  if (c.Tty) out.push('tty');
  if (c.OpenStdin) out.push('stdin_open');
  text('domainname', c.Domainname);
  if (!info.HostConfig?.NetworkMode?.startsWith('container:')) text('hostname', c.Hostname, ['', info.Id.slice(0, 12)]);
  text('mac_address', c.MacAddress);
  for (const m of (h.Mounts ?? []) as Array<{ Type?: string; Target?: string }>) {
    if (m.Type !== 'bind' && m.Type !== 'volume') out.push(`a ${m.Type ?? 'unknown'} mount at ${m.Target ?? '?'}`);
  }
  return out;
}

/** Binds and bind/volume Mounts as `SOURCE:TARGET[:OPTIONS]`, as the spec writes them. */
export function mountsOf(info: ContainerInspectInfo): string[] {
  const h = (info.HostConfig ?? {}) as HostConfigIn;
  const binds = [...((h.Binds as string[] | null | undefined) ?? [])];
  for (const m of (h.Mounts ?? []) as Array<{ Type?: string; Source?: string; Target?: string; ReadOnly?: boolean }>) {
    if ((m.Type === 'bind' || m.Type === 'volume') && m.Source && m.Target) binds.push(`${m.Source}:${m.Target}${m.ReadOnly ? ':ro' : ''}`);
  }
  return binds;
}

function hashes(entries: Array<[string, string]>): Record<string, string> {
  return Object.fromEntries(entries.map(([name, value]) => [name, sha256(value)]));
}

const orNull = <T>(value: T[] | null | undefined): T[] | null => (value && value.length > 0 ? [...value] : null);

/** The container `info`, created from `image`, as plain data (values of env never leave this function). */
export function liveConfigOf(info: ContainerInspectInfo, image: Pick<ImageInspectInfo, 'Config'> | null): LiveConfig {
  const c = info.Config;
  const h = (info.HostConfig ?? {}) as HostConfigIn;
  const ic = (image?.Config ?? {}) as Partial<ImageInspectInfo['Config']> & { Healthcheck?: LiveHealthcheck };
  const imageLabels = ic.Labels ?? {};
  const labels = Object.fromEntries(Object.entries(c.Labels ?? {}).filter(([key]) => !isBookkeepingLabel(key)));
  const policy = (h.RestartPolicy ?? {}) as { Name?: string; MaximumRetryCount?: number };
  return {
    image: c.Image,
    envHashes: hashes(ownEnv(c.Env, ic.Env)),
    imageEnvHashes: hashes(envEntries(ic.Env)),
    cmd: orNull(c.Cmd as string[] | null),
    entrypoint: orNull(c.Entrypoint as string[] | null),
    user: c.User ?? '',
    workingDir: c.WorkingDir ?? '',
    labels,
    stopTimeout: (c as { StopTimeout?: number | null }).StopTimeout ?? null,
    healthcheck: ((c as { Healthcheck?: LiveHealthcheck }).Healthcheck ?? null),
    imageDefaults: {
      cmd: orNull(ic.Cmd as string[] | null | undefined),
      entrypoint: orNull(ic.Entrypoint as string[] | null | undefined),
      user: ic.User ?? '',
      workingDir: ic.WorkingDir ?? '',
      labels: { ...imageLabels },
      healthcheck: ic.Healthcheck ?? null,
    },
    restart: { Name: policy.Name || 'no', MaximumRetryCount: policy.MaximumRetryCount ?? 0 },
    capAdd: [...((h.CapAdd as string[] | null) ?? [])],
    capDrop: [...((h.CapDrop as string[] | null) ?? [])],
    devices: ((h.Devices as LiveDevice[] | null) ?? []).map((d) => ({ PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer, CgroupPermissions: d.CgroupPermissions })),
    tmpfs: { ...((h.Tmpfs as Record<string, string> | null) ?? {}) },
    readOnly: h.ReadonlyRootfs === true,
    shmSize: typeof h.ShmSize === 'number' && h.ShmSize > 0 ? h.ShmSize : DOCKER_SHM_DEFAULT,
    ulimits: ((h.Ulimits as LiveConfig['ulimits'] | null) ?? []).map((u) => ({ Name: u.Name, Soft: u.Soft, Hard: u.Hard })),
    sysctls: { ...((h.Sysctls as Record<string, string> | null) ?? {}) },
    portBindings: Object.fromEntries(
      Object.entries((h.PortBindings as LiveConfig['portBindings'] | null) ?? {}).map(([port, list]) => [port, (list ?? []).map((b) => ({ HostIp: b.HostIp ?? '', HostPort: b.HostPort ?? '' }))]),
    ),
    mounts: mountsOf(info),
    networkMode: h.NetworkMode ?? '',
    uncarried: uncarriedSettings(info),
  };
}
