/**
 * VpnSidecar from running containers, pure: a gateway and the running containers whose network mode is
 * `container:<gateway id>` (compose's `network_mode: service:X` becomes exactly that) become one document with
 * `adopt: true`, each container described as the spec would declare it relative to its image (the same rules
 * in-place adoption compares by, reconcilers/vpn-sidecar/live-config.ts), so that `diff` right after is empty and
 * `apply` adopts the containers as they run. Env values only for names the compose importer treats as not secret;
 * the others become secretEnv file references, with a command that writes each file without printing the value.
 * What the spec cannot carry is listed; containers homeostat already owns are left out.
 */
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { LABELS } from '../../reconcilers/vpn-sidecar/index.js';
import { isBookkeepingLabel, mountsOf, ownEnv, ownLabels, uncarriedSettings, DOCKER_SHM_DEFAULT } from '../../reconcilers/vpn-sidecar/live-config.js';
import { looksSecret } from './compose/secrets.js';
import type { Role, SpecCheck } from './compose/spec-check.js';
import { manifestName, type ImportedDocument, type ImportResult } from './document.js';

export interface VpnImportInput {
  host: string;
  /** Every container on the engine (inspected). */
  containers: readonly ContainerInspectInfo[];
  /** Image inspections by image id (ContainerInspectInfo.Image); a missing one is an image that is gone. */
  images: ReadonlyMap<string, Pick<ImageInspectInfo, 'Config'>>;
  check: SpecCheck;
  /** Where the secret values are to be written: `<secretsDir>/<resource>/<VAR>`. */
  secretsDir: string;
}

const short = (id: string) => id.slice(0, 12);
const nameOf = (c: ContainerInspectInfo) => c.Name.replace(/^\//, '');
const isRunning = (c: ContainerInspectInfo) => c.State.Running === true;
const words = (list: readonly string[] | null | undefined) => (list && list.length > 0 ? [...list] : null);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The gateway each container in `container:` mode shares, followed to its end (a chain resolves as Docker does). */
export function findGroups(containers: readonly ContainerInspectInfo[]): { groups: Map<string, ContainerInspectInfo[]>; notes: string[] } {
  const byRef = new Map<string, ContainerInspectInfo>();
  for (const c of containers) byRef.set(c.Id, c).set(nameOf(c), c);
  const peer = (c: ContainerInspectInfo) => {
    const mode = c.HostConfig?.NetworkMode ?? '';
    return mode.startsWith('container:') ? (byRef.get(mode.slice('container:'.length)) ?? null) : undefined;
  };
  const groups = new Map<string, ContainerInspectInfo[]>();
  const notes: string[] = [];
  for (const c of containers) {
    let at = peer(c);
    if (at === undefined) continue;
    const seen = new Set([c.Id]);
    while (at && peer(at) && !seen.has(at.Id)) {
      seen.add(at.Id);
      at = peer(at)!;
    }
    if (!at || peer(at) !== undefined) notes.push(`Not imported: container ${nameOf(c)} (${short(c.Id)}) shares the network stack of a container that is gone or loops`);
    else if (!isRunning(c)) notes.push(`Not imported: container ${nameOf(c)} (${short(c.Id)}) shares ${nameOf(at)}'s network stack but is not running`);
    else groups.set(at.Id, [...(groups.get(at.Id) ?? []), c]);
  }
  return { groups, notes };
}

/** Every gateway group as a VpnSidecar document. */
export function vpnSidecarDocuments(input: VpnImportInput): ImportResult {
  const { groups, notes } = findGroups(input.containers);
  const byId = new Map(input.containers.map((c) => [c.Id, c]));
  const documents: ImportedDocument[] = [];
  for (const [gatewayId, members] of groups) {
    const gateway = byId.get(gatewayId)!;
    if (gateway.Config.Labels?.[LABELS.owner]) {
      notes.push(`Not imported: ${nameOf(gateway)} and the containers behind it belong to homeostat already (${gateway.Config.Labels[LABELS.owner]})`);
      continue;
    }
    const dependents = members.filter((c) => !c.Config.Labels?.[LABELS.owner]).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
    for (const c of members) if (c.Config.Labels?.[LABELS.owner]) notes.push(`Not imported: ${nameOf(c)} behind ${nameOf(gateway)} belongs to homeostat already (${c.Config.Labels[LABELS.owner]})`);
    if (dependents.length === 0) continue;
    const doc = sidecarDocument(input, gateway, dependents);
    if ('problem' in doc) notes.push(doc.problem);
    else documents.push(doc);
  }
  return { documents, notes };
}

interface Notes {
  todo: string[];
  notCarried: string[];
}

function sidecarDocument(input: VpnImportInput, gateway: ContainerInspectInfo, dependents: ContainerInspectInfo[]): ImportedDocument | { problem: string } {
  const name = manifestName(`${input.host}-${nameOf(gateway)}`);
  const notes: Notes = { todo: [], notCarried: [] };
  const ctx = { ...input, resource: name, notes };
  const gwRead = containerSpec(ctx, gateway, 'gateway');
  if ('problem' in gwRead) return gwRead;
  const gw = gwRead.spec;
  const deps: Array<Record<string, unknown>> = [];
  for (const c of dependents) {
    const dep = containerSpec(ctx, c, 'dependent');
    if ('problem' in dep) return dep;
    deps.push(dep.spec);
  }
  placePorts(ctx, gateway, dependents, deps);
  const networks = Object.keys(gateway.NetworkSettings?.Networks ?? {}).filter((n) => n !== 'bridge');
  if (networks.length > 0) {
    notes.notCarried.push(`${nameOf(gateway)}: on network ${networks.join(', ')}; the spec has no networks field (a recreate puts the gateway on the default bridge)`);
  }
  const all = [gateway, ...dependents];
  return {
    kind: 'VpnSidecar',
    name,
    spec: { host: input.host, adopt: true, gateway: gw, dependents: deps },
    comments: [
      `Imported from ${input.host}'s Docker engine: the gateway ${nameOf(gateway)} (${short(gateway.Id)}) and ${dependents.map((c) => `${nameOf(c)} (${short(c.Id)})`).join(', ')} in its network stack.`,
      'adopt: true: `apply` adopts each container as it runs when it matches this declaration (recorded in homeostat\'s state, not',
      'recreated); one that differs (see below) is recreated. Nothing becomes homeostat\'s before `apply`.',
      ...(notes.todo.length > 0 ? ['To do before applying:', ...notes.todo.map((n) => `- ${n}`)] : []),
      ...(notes.notCarried.length > 0 ? ['Not carried (a container using it is recreated without it on apply):', ...notes.notCarried.map((n) => `- ${n}`)] : []),
      ...(all.some((c) => Object.keys(c.Config.Labels ?? {}).some((k) => k.startsWith('com.docker.compose.')))
        ? ['compose labels (com.docker.compose.*) are left out: compose bookkeeping, not part of the declaration.']
        : []),
    ],
  };
}

type Ctx = VpnImportInput & { resource: string; notes: Notes };

/** One container as the gateway or a dependent, relative to its image; `problem` when it cannot be declared at all. */
function containerSpec(ctx: Ctx, c: ContainerInspectInfo, role: Role): { spec: Record<string, unknown> } | { problem: string } {
  const who = nameOf(c);
  const image = ctx.images.get(c.Image)?.Config;
  for (const [field, value] of [['name', who], ['image', c.Config.Image]] as const) {
    const problem = ctx.check.problem(role, field, value);
    if (problem) return { problem: `Not imported: ${who} (${short(c.Id)}): its ${field} "${value}" is not accepted (${problem})` };
  }
  if (!image) ctx.notes.notCarried.push(`${who}: its image ${c.Config.Image} is gone, so what it adds to the image cannot be told apart: command, user and the like are left out`);
  const spec: Record<string, unknown> = { name: who, image: c.Config.Image };
  const carry = (field: string, value: unknown, what = field) => {
    const problem = ctx.check.problem(role, field, value);
    if (problem) ctx.notes.notCarried.push(`${who}: ${what}: ${problem}`);
    else spec[field] = value;
  };

  const env: Record<string, string> = {};
  const secretEnv: Record<string, { file: string }> = {};
  for (const [key, value] of ownEnv(c.Config.Env, image?.Env)) {
    if (!looksSecret(key)) {
      env[key] = value;
      continue;
    }
    const file = `${ctx.secretsDir}/${ctx.resource}/${key}`;
    secretEnv[key] = { file };
    ctx.notes.todo.push(
      `${who}: ${key} looks like a secret; its value is left out. Write it into ${file} (one line, chmod 600), e.g.: ` +
        `mkdir -p ${ctx.secretsDir}/${ctx.resource}; umask 077; docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' ${who} | sed -n 's/^${key}=//p' > ${file}`,
    );
  }
  if (Object.keys(env).length > 0) carry('env', env);
  if (Object.keys(secretEnv).length > 0) carry('secretEnv', secretEnv);

  if (image) {
    const entrypoint = words(c.Config.Entrypoint as string[] | null);
    const overridden = !same(entrypoint, words(image.Entrypoint as string[] | null));
    if (overridden) carry('entrypoint', entrypoint ?? []);
    const cmd = words(c.Config.Cmd as string[] | null);
    if (!same(cmd, overridden ? null : words(image.Cmd as string[] | null))) carry('command', cmd ?? []);
    if ((c.Config.User ?? '') !== (image.User ?? '')) carry('user', c.Config.User);
    if ((c.Config.WorkingDir ?? '') !== (image.WorkingDir ?? '')) carry('workingDir', c.Config.WorkingDir);
    const health = (c.Config as { Healthcheck?: HealthcheckIn }).Healthcheck;
    if (health && !same(health, (image as { Healthcheck?: HealthcheckIn }).Healthcheck)) {
      const declared = healthcheckSpec(health);
      if (declared) carry('healthcheck', declared);
      else ctx.notes.notCarried.push(`${who}: healthcheck: a duration finer than a millisecond`);
    }
  }
  const labels = ownLabels(c.Config.Labels, image?.Labels);
  if (Object.keys(labels).length > 0) carry('labels', labels);
  const dropped = Object.keys(c.Config.Labels ?? {}).filter((k) => isBookkeepingLabel(k) && !k.startsWith('com.docker.compose.'));
  if (dropped.length > 0) ctx.notes.notCarried.push(`${who}: labels ${dropped.join(', ')} (homeostat's own namespace)`);
  const stopTimeout = (c.Config as { StopTimeout?: number | null }).StopTimeout;
  if (typeof stopTimeout === 'number') carry('stopGracePeriod', `${stopTimeout}s`, `stop timeout ${stopTimeout}s`);

  const h = c.HostConfig ?? {};
  const restart = restartText(h.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined);
  if (restart !== 'unless-stopped') carry('restart', restart);
  const given = (cap: string) => role === 'gateway' && cap.replace(/^CAP_/, '') === 'NET_ADMIN';
  if (role === 'gateway') {
    const hasTun = ((h.Devices as Array<{ PathInContainer: string }> | null) ?? []).some((d) => d.PathInContainer === '/dev/net/tun');
    if (!((h.CapAdd as string[] | null) ?? []).some(given)) ctx.notes.notCarried.push(`${who}: runs without NET_ADMIN, which homeostat always gives the gateway`);
    if (!hasTun) ctx.notes.notCarried.push(`${who}: runs without /dev/net/tun, which homeostat always gives the gateway`);
  }
  const capAdd = ((h.CapAdd as string[] | null) ?? []).filter((cap) => !given(cap));
  if (capAdd.length > 0) carry('capAdd', capAdd);
  if (((h.CapDrop as string[] | null) ?? []).length > 0) carry('capDrop', h.CapDrop);
  const devices = ((h.Devices as Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> | null) ?? [])
    .filter((d) => !(role === 'gateway' && d.PathOnHost === '/dev/net/tun' && d.PathInContainer === '/dev/net/tun' && d.CgroupPermissions === 'rwm'))
    .map((d) => `${d.PathOnHost}${d.PathInContainer === d.PathOnHost ? '' : `:${d.PathInContainer}`}${d.CgroupPermissions === 'rwm' ? '' : `:${d.CgroupPermissions}`}`);
  if (devices.length > 0) carry('devices', devices);
  const tmpfs = Object.entries((h.Tmpfs as Record<string, string> | null) ?? {}).map(([path, options]) => (options ? `${path}:${options}` : path));
  if (tmpfs.length > 0) carry('tmpfs', tmpfs);
  if (h.ReadonlyRootfs) carry('readOnly', true);
  if (typeof h.ShmSize === 'number' && h.ShmSize > 0 && h.ShmSize !== DOCKER_SHM_DEFAULT) carry('shmSize', byteSize(h.ShmSize), 'shm size');
  const ulimits = (h.Ulimits as Array<{ Name: string; Soft: number; Hard: number }> | null) ?? [];
  if (ulimits.length > 0) carry('ulimits', Object.fromEntries(ulimits.map((u) => [u.Name, { soft: u.Soft, hard: u.Hard }])));
  const sysctls = (h as { Sysctls?: Record<string, string> }).Sysctls ?? {};
  if (Object.keys(sysctls).length > 0) carry('sysctls', sysctls);

  const mounts = mountsOf(c);
  if (role === 'dependent') {
    const volumes = mounts.filter((m) => {
      const problem = ctx.check.problem(role, 'volumes', [m]);
      if (problem) ctx.notes.notCarried.push(`${who}: volume ${m}: ${problem}`);
      return problem === null;
    });
    if (volumes.length > 0) spec.volumes = volumes;
  } else {
    for (const m of mounts) ctx.notes.notCarried.push(`${who}: volume ${m}: the VpnSidecar gateway has no volumes field`);
  }
  for (const setting of uncarriedSettings(c)) ctx.notes.notCarried.push(`${who}: ${setting}: the VpnSidecar spec has no field for it`);
  return { spec };
}

interface HealthcheckIn {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** Docker's healthcheck (durations in ns) as the spec writes it, or null when a duration is not whole milliseconds. */
export function healthcheckSpec(h: HealthcheckIn): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  if (h.Test && h.Test.length > 0) out.test = [...h.Test];
  for (const [key, ns] of [['interval', h.Interval], ['timeout', h.Timeout], ['startPeriod', h.StartPeriod]] as const) {
    if (!ns) continue;
    if (ns % 1_000_000 !== 0) return null;
    out[key] = durationText(ns / 1_000_000);
  }
  if (h.Retries) out.retries = h.Retries;
  return out;
}

/** Milliseconds in the largest unit that holds them exactly (`90s`, `2m`, `1500ms`). */
export function durationText(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Bytes in the largest binary unit that holds them exactly (`256m`, `1g`), as the spec's shmSize. */
export function byteSize(bytes: number): string {
  for (const [unit, size] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/** Docker's restart policy as the spec writes it (`no` for none). */
export function restartText(policy: { Name?: string; MaximumRetryCount?: number } | undefined): string {
  const name = policy?.Name || 'no';
  return name === 'on-failure' && (policy?.MaximumRetryCount ?? 0) > 0 ? `on-failure:${policy!.MaximumRetryCount}` : name;
}

/** A binding as `[IP:]HOST:CONTAINER[/udp]`, or null when the spec's port syntax cannot say it (an IPv6 address, an IP without a host port). */
export function portText(key: string, binding: { HostIp?: string; HostPort?: string }): string | null {
  const [port = '', proto = 'tcp'] = key.split('/');
  const ip = binding.HostIp ?? '';
  const hostPort = binding.HostPort ?? '';
  if (ip.includes(':') || (hostPort === '' && ip !== '')) return null;
  const suffix = proto === 'tcp' ? '' : `/${proto}`;
  return `${ip ? `${ip}:` : ''}${hostPort ? `${hostPort}:` : ''}${port}${suffix}`;
}

/**
 * The gateway's published ports, each listed under a dependent (the spec publishes every dependent's ports on the
 * gateway): the one whose image exposes that port, else the first.
 */
function placePorts(ctx: Ctx, gateway: ContainerInspectInfo, dependents: ContainerInspectInfo[], specs: Array<Record<string, unknown>>): void {
  const bindings = (gateway.HostConfig?.PortBindings ?? {}) as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  for (const [key, list] of Object.entries(bindings)) {
    for (const binding of list ?? []) {
      const text = portText(key, binding);
      const where = `${binding.HostIp ? `${binding.HostIp}:` : ''}${binding.HostPort ?? ''}->${key}`;
      if (text === null) {
        ctx.notes.notCarried.push(`${nameOf(gateway)}: published port ${where}: the spec's [IP:]HOST:CONTAINER cannot say it`);
        continue;
      }
      const at = Math.max(0, dependents.findIndex((d) => key in (d.Config.ExposedPorts ?? {})));
      const ports = (specs[at]!.ports ??= []) as string[];
      const problem = ctx.check.problem('dependent', 'ports', [...ports, text]);
      if (problem) ctx.notes.notCarried.push(`${nameOf(gateway)}: published port ${where}: ${problem}`);
      else if (!ports.includes(text)) ports.push(text);
    }
  }
  for (const spec of specs) if (Array.isArray(spec.ports) && spec.ports.length === 0) delete spec.ports;
}
