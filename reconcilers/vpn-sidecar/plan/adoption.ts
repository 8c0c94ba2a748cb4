/**
 * In-place adoption, pure. A container homeostat did not create carries none of its labels (owner, spec hash), and
 * labels cannot be added to a container that exists, so until now `adopt: true` recreated it. Instead:
 *
 * - observe reads such a container (no homeostat owner label, `spec.adopt` on) beside its image's defaults
 *   (live-config.ts), env values hashed;
 * - `inPlaceMismatches` compares it, field by field in Docker's terms, with the container homeostat would create
 *   from the declaration (the same create config docker-config.ts builds, with the image defaults Docker fills
 *   in): image, env and secret env (by hash), command, entrypoint, user, working dir, labels, stop timeout,
 *   healthcheck, restart policy, capabilities, devices, tmpfs, read-only, shm size, ulimits, sysctls, published
 *   ports, mounts, and every setting the spec has no field for (privileged, DNS, ...: any one set is a mismatch);
 * - when nothing differs, the plan has no change for it (so `diff` is empty: it prints a note, `adoptionNote`) and
 *   lists it in `adoptInPlace`;
 *   verify, after a converged run (`apply`, never `diff`), records it in the resource's inventory with the spec
 *   hash and field hashes it matched (`detail.adoptedInPlace`), and says so in an event;
 * - from then on observe reads that record as the owner, spec-hash and spec-fields labels the container lacks, so
 *   it is owned: a later spec change recreates it as usual (with labels), delete removes it (finalize.ts).
 * Anything that differs, or cannot be compared (its image is gone), is today's recreate, each difference named.
 * Only containers without any homeostat owner label qualify: one labelled for another resource is recreated.
 */
import type { InventoryItem } from '../../core/contract.js';
import { canonicalJson } from '../canonical-json.js';
import { capabilityName, configOf, hostConfigOf, parseByteSize } from '../container-options.js';
import { desiredDependent, desiredGateway, type DesiredContainer } from '../desired.js';
import { formatFieldHashes, parseFieldHashes, type Role } from '../labels.js';
import { DOCKER_SHM_DEFAULT, type LiveConfig, type LiveHealthcheck } from '../live-config.js';
import type { ObservedContainer, VpnChange, VpnObserved } from '../model.js';
import { dockerPorts } from '../ports.js';
import { sha256 } from '../secrets.js';
import type { VpnSidecarSpec } from '../spec.js';

/** A foreign container found to be exactly what its declaration would create: verify records it as owned. */
export interface InPlaceAdoption {
  id: string;
  name: string;
  role: Role;
  specHash: string;
  /** The spec-fields label it would have had (`field=hash,...`). */
  fields: string;
}

/** The line `diff` prints for an adoption (a plan note: no change, nothing on the Docker host is touched). */
export function adoptionNote(a: Pick<InPlaceAdoption, 'id' | 'name'>): string {
  return `adopt container ${a.name} (${a.id.slice(0, 12)}) in place: it matches its declaration`;
}

/** What an inventory record of a container adopted in place holds besides name and role. */
export interface AdoptedInPlaceRecord {
  specHash: string;
  fields: string;
}

/** The record's `detail.adoptedInPlace`, or null when the item is no such record. */
export function adoptedInPlaceOf(item: InventoryItem): AdoptedInPlaceRecord | null {
  const record = item.detail?.adoptedInPlace as Partial<AdoptedInPlaceRecord> | undefined;
  return record && typeof record.specHash === 'string' && typeof record.fields === 'string' ? { specHash: record.specHash, fields: record.fields } : null;
}

/** The inventory item verify records for an adoption. */
export function adoptionItem(host: string, a: InPlaceAdoption): InventoryItem {
  return { type: 'container', host, id: a.id, detail: { name: a.name, role: a.role, adoptedInPlace: { specHash: a.specHash, fields: a.fields } } };
}

/**
 * A container without homeostat's labels seen through its inventory record: owned by `owner`, with the hashes it
 * matched. Unchanged when the record is not an in-place adoption of this container.
 */
export function withAdoptionRecord<C extends Omit<ObservedContainer, 'netns' | 'peer'>>(c: C, owner: string, inventory: readonly InventoryItem[], host: string): C {
  if (c.owner !== null) return c;
  const item = inventory.find((i) => i.type === 'container' && i.host === host && i.id === c.id);
  const record = item ? adoptedInPlaceOf(item) : null;
  if (!item || !record) return c;
  const role = typeof item.detail?.role === 'string' ? item.detail.role : c.role;
  return { ...c, owner, role, specHash: record.specHash, fields: parseFieldHashes(record.fields), adoptedInPlace: true as const };
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
const words = (list: readonly string[] | null | undefined) => (list && list.length > 0 && !(list.length === 1 && list[0] === '') ? [...list] : null);
const sortedUpper = (caps: readonly string[] | undefined) => [...new Set((caps ?? []).map((c) => capabilityName(c.toUpperCase())))].sort();

/** Docker's own merge of a declared healthcheck with the image's (daemon: a zero field takes the image's). */
function expectedHealthcheck(declared: LiveHealthcheck | undefined, image: LiveHealthcheck | null): LiveHealthcheck | null {
  if (!declared) return image;
  const base = image ?? {};
  return {
    Test: declared.Test && declared.Test.length > 0 ? declared.Test : base.Test,
    Interval: declared.Interval || base.Interval,
    Timeout: declared.Timeout || base.Timeout,
    StartPeriod: declared.StartPeriod || base.StartPeriod,
    Retries: declared.Retries || base.Retries,
  };
}

function healthOf(h: LiveHealthcheck | null | undefined): unknown {
  if (!h) return null;
  return { Test: h.Test ?? null, Interval: h.Interval ?? 0, Timeout: h.Timeout ?? 0, StartPeriod: h.StartPeriod ?? 0, Retries: h.Retries ?? 0 };
}

/** `SOURCE:TARGET[:OPTIONS]` with its options sorted and `rw` (the default) left out. */
export function normalMount(text: string): string {
  const [source = '', target = '', options] = text.split(':');
  const opts = (options ?? '').split(',').filter((o) => o !== '' && o !== 'rw').sort();
  return `${source}:${target.replace(/(.)\/+$/, '$1')}${opts.length > 0 ? `:${opts.join(',')}` : ''}`;
}

const sortedBindings = (bindings: Readonly<Record<string, ReadonlyArray<{ HostIp: string; HostPort: string }>>>) =>
  Object.fromEntries(Object.entries(bindings).filter(([, list]) => list.length > 0).map(([port, list]) => [port, list.map((b) => `${b.HostIp}|${b.HostPort}`).sort()]));

/** What differs between `live` and the container homeostat would create from `desired` (empty: it matches). Names only, never a value. */
export function inPlaceMismatches(live: LiveConfig & { imageFound?: boolean }, desired: DesiredContainer): string[] {
  const out: string[] = [];
  if (live.imageFound === false) return ['its image is no longer on the Docker host, so its defaults cannot be compared'];
  if (live.image !== desired.image) out.push(`image ${live.image}, declared ${desired.image}`);

  const declaredEnv: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(desired.env)) declaredEnv[k] = v;
  for (const [k, s] of Object.entries(desired.secretEnv)) declaredEnv[k] = s.format ? null : s.hash;
  for (const [k, v] of Object.entries(declaredEnv)) {
    const hash = v === null ? null : k in desired.secretEnv ? v : sha256(v);
    const actual = live.envHashes[k] ?? live.imageEnvHashes[k];
    if (hash === null) out.push(`env ${k}: its value is derived from a secret and cannot be compared`);
    else if (actual === undefined) out.push(`env ${k} is declared but not set`);
    else if (actual !== hash) out.push(`env ${k} differs`);
  }
  for (const k of Object.keys(live.envHashes)) if (!(k in declaredEnv)) out.push(`env ${k} is set but not declared`);

  const o = desired.options;
  const config = configOf(o);
  const entrypoint = o.entrypoint !== undefined ? words(config.Entrypoint as string[]) : live.imageDefaults.entrypoint;
  const cmd = words(config.Cmd as string[] | undefined) ?? (o.entrypoint !== undefined ? null : live.imageDefaults.cmd);
  if (!same(words(live.entrypoint), entrypoint)) out.push('entrypoint differs');
  if (!same(words(live.cmd), cmd)) out.push('command differs');
  if (live.user !== (o.user || live.imageDefaults.user)) out.push('user differs');
  if (live.workingDir !== (o.workingDir || live.imageDefaults.workingDir)) out.push('workingDir differs');
  if (!same(live.labels, { ...live.imageDefaults.labels, ...o.labels })) out.push('labels differ');
  if ((live.stopTimeout ?? null) !== (config.StopTimeout ?? null)) out.push('stopGracePeriod differs');
  if (!same(healthOf(live.healthcheck), healthOf(expectedHealthcheck(config.Healthcheck as LiveHealthcheck | undefined, live.imageDefaults.healthcheck)))) {
    out.push('healthcheck differs');
  }

  const host = hostConfigOf(o, desired.role);
  const policy = host.RestartPolicy as { Name: string; MaximumRetryCount?: number };
  const retries = (p: { Name: string; MaximumRetryCount?: number }) => (p.Name === 'on-failure' ? (p.MaximumRetryCount ?? 0) : 0);
  if (live.restart.Name !== policy.Name || retries(live.restart) !== retries(policy)) out.push(`restart is ${live.restart.Name}, declared ${policy.Name}`);
  if (!same(sortedUpper(live.capAdd), sortedUpper(host.CapAdd))) out.push('capAdd differs');
  if (!same(sortedUpper(live.capDrop), sortedUpper(host.CapDrop))) out.push('capDrop differs');
  const device = (d: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }) => `${d.PathOnHost}:${d.PathInContainer}:${d.CgroupPermissions}`;
  if (!same(live.devices.map(device).sort(), ((host.Devices ?? []) as LiveConfig['devices']).map(device).sort())) out.push('devices differ');
  if (!same(live.tmpfs, host.Tmpfs ?? {})) out.push('tmpfs differs');
  if (live.readOnly !== (o.readOnly ?? false)) out.push('readOnly differs');
  if (live.shmSize !== (o.shmSize !== undefined ? (parseByteSize(o.shmSize) ?? -1) : DOCKER_SHM_DEFAULT)) out.push('shmSize differs');
  const limit = (u: { Name?: string; Soft?: number; Hard?: number }) => `${u.Name}=${u.Soft}:${u.Hard}`;
  if (!same(live.ulimits.map(limit).sort(), (host.Ulimits ?? []).map(limit).sort())) out.push('ulimits differ');
  if (!same(live.sysctls, o.sysctls ?? {})) out.push('sysctls differ');

  const ports = desired.role === 'gateway' ? dockerPorts(desired.ports).PortBindings : {};
  if (!same(sortedBindings(live.portBindings), sortedBindings(ports))) out.push('published ports differ');
  if (!same(live.mounts.map(normalMount).sort(), desired.volumes.map(normalMount).sort())) out.push(desired.role === 'gateway' ? 'it has mounts (the gateway declares none)' : 'volumes differ');
  if (desired.role === 'gateway' && live.networkMode.startsWith('container:')) out.push(`network mode ${live.networkMode} (a gateway has a network of its own)`);
  for (const setting of live.uncarried) out.push(`${setting}: the VpnSidecar spec has no field for it`);
  return out;
}

/**
 * The declared containers the plan adopts in place: not created by homeostat, read (adopt on), and matched by
 * their declaration, with no change planned for them.
 */
export function inPlaceAdoptions(spec: VpnSidecarSpec, observed: VpnObserved, changes: readonly VpnChange[]): InPlaceAdoption[] {
  const touched = new Set(changes.flatMap((c) => ('old' in c ? [c.old.id] : 'ref' in c && c.action !== 'start' && c.action !== 'restart' ? [c.ref.id] : [])));
  const candidates: Array<[ObservedContainer | null, DesiredContainer]> = [
    [observed.gateway, desiredGateway(spec, observed.secrets)],
    ...spec.dependents.map((d): [ObservedContainer | null, DesiredContainer] => [observed.dependents[d.name] ?? null, desiredDependent(d, observed.secrets)]),
  ];
  return candidates.flatMap(([c, desired]) => {
    if (!c || c.owner !== null || !c.live || touched.has(c.id) || inPlaceMismatches(c.live, desired).length > 0) return [];
    return [{ id: c.id, name: c.name, role: desired.role, specHash: desired.specHash, fields: formatFieldHashes(desired.fields) }];
  });
}
