/**
 * A compose project → VpnSidecar manifests (pure; the caller reads files). One VpnSidecar per gateway (a service
 * others join with `network_mode: service:X` / `container:X`); its dependents' and its own ports are published on the
 * gateway, as compose did; secrets become secretEnv file references (secrets.ts); what the spec cannot carry is noted.
 */
import { readComposeFile, isRecord } from './compose-file.js';
import { convertService, type ServicePort } from './container.js';
import { NoteList, type ImportNote } from './notes.js';
import type { SpecCheck } from './spec-check.js';
import { findTopology } from './topology.js';
import { containerPort } from './values.js';

export interface ComposeImportInput {
  /** The path the user gave (messages, comments). */
  file: string;
  text: string;
  /** The compose file's folder, against which relative paths resolve. */
  composeDir: string;
  check: SpecCheck;
  /** spec.host; omitted: the spec's default (local). */
  host?: string;
  /** Where secret values without a file of their own are to be written (default /etc/homeostat/secrets). */
  secretsDir?: string;
  /** The variable names an env file defines (never values), or undefined when it cannot be read. */
  readEnvNames(path: string): string[] | undefined;
}

export interface ImportedSidecar {
  /** The gateway's compose service. */
  gatewayService: string;
  manifest: { apiVersion: string; kind: 'VpnSidecar'; metadata: { name: string }; spec: Record<string, unknown> };
  notes: ImportNote[];
}

export interface ComposeImport {
  sidecars: ImportedSidecar[];
  /** About the project as a whole: services outside any gateway, top-level keys. */
  notes: ImportNote[];
}

export const DEFAULT_SECRETS_DIR = '/etc/homeostat/secrets';
const GLUETUN_CONTROL_PORT = 8000;

export function convertCompose(input: ComposeImportInput): ComposeImport {
  const compose = readComposeFile(input.file, input.text);
  const topology = findTopology(compose);
  const secretsDir = (input.secretsDir ?? DEFAULT_SECRETS_DIR).replace(/\/+$/, '');
  const sidecars = topology.sidecars.map(({ gateway, dependents }): ImportedSidecar => {
    const notes = new NoteList(compose.where);
    const resource = resourceName(gateway);
    const ctx = { compose, composeDir: input.composeDir, secretsDir, resource, check: input.check, notes, readEnvNames: input.readEnvNames, gateway };
    const gw = convertService(ctx, gateway, 'gateway', compose.services.get(gateway)!);
    const deps = dependents.map((name) => ({ name, ...convertService(ctx, name, 'dependent', compose.services.get(name)!) }));
    for (const name of dependents) {
      const via = topology.chained.get(name);
      if (via) notes.add('covered', name, ['network_mode'], `joins ${via}, which joins ${gateway}: it becomes a dependent of ${gateway}, as Docker resolves it`);
    }
    const controlPort = controlServerPort(gw.container.env);
    if (controlPort !== undefined && controlPort !== GLUETUN_CONTROL_PORT) gw.container.controlServer = { port: controlPort };
    placePorts(ctx, gw, deps, controlPort ?? GLUETUN_CONTROL_PORT);
    const spec: Record<string, unknown> = {};
    if (input.host !== undefined) spec.host = input.host;
    spec.gateway = gw.container;
    spec.dependents = deps.map((d) => d.container);
    return { gatewayService: gateway, manifest: { apiVersion: 'homeostat.dev/v1alpha1', kind: 'VpnSidecar', metadata: { name: resource }, spec }, notes: notes.notes };
  });

  const notes = new NoteList(compose.where);
  for (const name of topology.outside) notes.add('notCarried', name, [], 'not behind a VPN gateway: no homeostat kind runs a standalone container');
  const topVolumes = Object.keys(recordOf(compose.root.volumes));
  if (topVolumes.length > 0) {
    notes.add('todo', '', ['volumes'], `named volumes ${topVolumes.join(', ')}: compose created them as <project>_<name> (unless they set name:); homeostat uses the names as written, so point them at the existing volumes or copy the data`);
  }
  for (const key of ['networks', 'configs']) {
    if (Object.keys(recordOf(compose.root[key])).length > 0) notes.add('notCarried', '', [key], `top-level ${key}: the VpnSidecar spec has no place for them`);
  }
  return { sidecars, notes: notes.notes };
}

/** Where each port goes: the gateway's ports field when the spec has one; else a dependent's (published on the gateway). */
function placePorts(ctx: { check: SpecCheck; notes: NoteList; gateway: string }, gw: { container: Record<string, unknown>; ports: ServicePort[] }, deps: Array<{ name: string; container: Record<string, unknown>; ports: ServicePort[] }>, controlPort: number): void {
  const onGateway = ctx.check.has('gateway', 'ports');
  /** Ports carried, per compose service and the text that explains where they went: one note each. */
  const moved = new Map<string, { service: string; why: string; ports: string[] }>();
  const place = (port: ServicePort, owner: { container: Record<string, unknown> }, role: 'gateway' | 'dependent', why: string | undefined) => {
    const list = (owner.container.ports ??= []) as string[];
    if (list.includes(port.text)) return;
    const problem = ctx.check.problem(role, 'ports', [port.text]);
    if (problem) return ctx.notes.add('notCarried', port.service, ['ports', port.index], `${port.text}: ${problem}`);
    list.push(port.text);
    if (!why) return;
    const key = `${port.service}\n${why}`;
    const entry = moved.get(key) ?? { service: port.service, why, ports: [] };
    entry.ports.push(port.text);
    moved.set(key, entry);
  };
  for (const port of gw.ports) {
    if (containerPort(port.text) === String(controlPort)) {
      ctx.notes.add('notCarried', port.service, ['ports', port.index], `${port.text}: the control server; homeostat publishes it on 127.0.0.1 itself when it talks to it (set spec.gateway.controlServer.apiKey), and not on other addresses`);
      continue;
    }
    if (onGateway || deps.length === 0) place(port, gw, 'gateway', undefined);
    else {
      const owner = deps.find((d) => Object.values((d.container.env ?? {}) as Record<string, string>).includes(containerPort(port.text))) ?? deps[0]!;
      place(port, owner, 'dependent', `listed under the dependent ${owner.name}; homeostat publishes every dependent's ports on the gateway, as compose did`);
    }
  }
  for (const dep of deps) {
    for (const port of dep.ports) {
      if (onGateway) place(port, gw, 'gateway', 'moved to the gateway (a dependent has no ports of its own)');
      else place(port, dep, 'dependent', 'homeostat publishes them on the gateway (a dependent has no ports of its own)');
    }
  }
  for (const { service, why, ports } of moved.values()) ctx.notes.add('covered', service, ['ports'], `${ports.join(', ')}: ${why}`);
  for (const owner of [gw, ...deps]) if (Array.isArray(owner.container.ports) && owner.container.ports.length === 0) delete owner.container.ports;
}

function recordOf(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** gluetun's control server port from HTTP_CONTROL_SERVER_ADDRESS (`:8000`), if set. */
function controlServerPort(env: unknown): number | undefined {
  const address = isRecord(env) ? env.HTTP_CONTROL_SERVER_ADDRESS : undefined;
  const match = typeof address === 'string' ? /:(\d{1,5})$/.exec(address) : null;
  return match ? Number(match[1]) : undefined;
}

/** A VpnSidecar name (DNS-1123) from a service name. */
export function resourceName(service: string): string {
  const name = service.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return name === '' ? 'vpn' : name;
}
