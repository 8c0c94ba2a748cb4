/**
 * One compose service as the VpnSidecar gateway or a dependent (pure): name, image, env, secretEnv, volumes, and
 * every other key the spec of this build has a field for (spec-check.ts decides), the rest noted. Ports are
 * returned apart: convert.ts decides where they go (they are all published on the gateway).
 */
import { secretEnvOf, type SecretContext } from './secrets.js';
import { ComposeImportError } from './errors.js';
import { isRecord, type ComposeService } from './compose-file.js';
import type { Role } from './spec-check.js';
import { environmentEntries, hasInterpolation, portText, volumeText } from './values.js';

/** Compose keys whose value maps onto a spec field of the same meaning, when the spec has that field. */
const CARRIED: Readonly<Record<string, { field: string; transform?: (value: unknown) => unknown }>> = {
  command: { field: 'command' },
  entrypoint: { field: 'entrypoint' },
  user: { field: 'user', transform: String },
  working_dir: { field: 'workingDir' },
  labels: { field: 'labels', transform: listToMap },
  healthcheck: { field: 'healthcheck', transform: (v) => shellFormTest(camelKeys(v)) },
  stop_grace_period: { field: 'stopGracePeriod' },
  restart: { field: 'restart' },
  devices: { field: 'devices' },
  cap_add: { field: 'capAdd' },
  cap_drop: { field: 'capDrop' },
  tmpfs: { field: 'tmpfs', transform: (v) => (typeof v === 'string' ? [v] : v) },
  read_only: { field: 'readOnly' },
  shm_size: { field: 'shmSize', transform: (v) => (typeof v === 'number' ? String(v) : v) },
  ulimits: { field: 'ulimits', transform: (v) => bothLimits(camelKeys(v)) },
  sysctls: { field: 'sysctls', transform: listToMap },
  pull_policy: { field: 'pull' },
  hostname: { field: 'hostname' },
  dns: { field: 'dns' },
  extra_hosts: { field: 'extraHosts' },
};

/** Compose's string healthcheck `test` runs in a shell: the spec writes it [CMD-SHELL, "..."]. */
function shellFormTest(value: unknown): unknown {
  return isRecord(value) && typeof value.test === 'string' ? { ...value, test: ['CMD-SHELL', value.test] } : value;
}

/** Compose's one-number ulimit is both the soft and the hard limit: the spec writes it { soft, hard }. */
function bothLimits(value: unknown): unknown {
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, typeof v === 'number' ? { soft: v, hard: v } : v]));
}

/** What homeostat does itself, by role: the key (or value) is not needed in the manifest. */
const GATEWAY_GIVEN = { capAdd: 'NET_ADMIN', device: '/dev/net/tun' };
const SPECIAL = new Set(['image', 'container_name', 'environment', 'env_file', 'secrets', 'volumes', 'ports', 'network_mode', 'depends_on']);

export interface ServicePort {
  text: string;
  /** Where it is written: `ports[i]` of `service`. */
  service: string;
  index: number;
}

export interface ConvertedContainer {
  container: Record<string, unknown>;
  ports: ServicePort[];
}

export function convertService(ctx: SecretContext & { gateway: string }, name: string, role: Role, service: ComposeService): ConvertedContainer {
  const { notes, check, compose } = ctx;
  const container: Record<string, unknown> = {};
  const containerName = typeof service.container_name === 'string' ? service.container_name : name;
  container.name = required(ctx, name, role, 'name', containerName, 'container_name');
  if (service.container_name === undefined) notes.add('covered', name, [], `no container_name: the container is called ${containerName} (compose would have called it <project>-${name}-1)`);
  if (typeof service.image !== 'string') {
    const why = service.build !== undefined ? ' (build: is not supported: build and tag the image, then name it in image:)' : '';
    throw new ComposeImportError('Unsupported', compose.file, compose.where(['services', name]), `services.${name}: no image${why}`);
  }
  container.image = required(ctx, name, role, 'image', service.image, 'image');

  const env = environmentEntries(service.environment);
  if (env === 'invalid') throw new ComposeImportError('NotCompose', compose.file, compose.where(['services', name, 'environment']), `services.${name}.environment must be a list or a mapping`);
  const { secretEnv, consumed } = secretEnvOf(ctx, name, role, service, env);
  const plain: Record<string, string> = {};
  for (const entry of env) {
    if (consumed.has(entry.name)) continue;
    if (entry.value === undefined) {
      notes.add('notCarried', name, ['environment', entry.at], `${entry.name} has no value (compose takes it from the shell): set it in env or secretEnv`);
      continue;
    }
    plain[entry.name] = entry.value;
    if (hasInterpolation(entry.value)) notes.add('todo', name, ['environment', entry.at], `${entry.name}: ${entry.value} is passed as written (homeostat does not substitute variables): write the value`);
  }
  if (Object.keys(plain).length > 0) carry(ctx, name, role, container, 'env', plain, ['environment']);
  if (Object.keys(secretEnv).length > 0) container.secretEnv = secretEnv;

  if (service.volumes !== undefined) {
    const volumes: string[] = [];
    (Array.isArray(service.volumes) ? service.volumes : []).forEach((volume: unknown, i) => {
      const v = volumeText(volume, ctx.composeDir);
      if ('reason' in v) return notes.add('notCarried', name, ['volumes', i], v.reason);
      if (!check.has(role, 'volumes')) return notes.add('notCarried', name, ['volumes', i], `${v.text}: the VpnSidecar ${role} has no volumes field`);
      const problem = check.problem(role, 'volumes', [v.text]);
      if (problem) return notes.add('notCarried', name, ['volumes', i], `${v.text}: ${problem}`);
      if (v.resolved) notes.add('todo', name, ['volumes', i], `${v.resolved} is relative to the compose file: written as ${v.text.split(':')[0]}, which must exist on the Docker host`);
      if (hasInterpolation(v.text)) notes.add('todo', name, ['volumes', i], `${v.text} is passed as written (homeostat does not substitute variables)`);
      volumes.push(v.text);
    });
    if (volumes.length > 0) container.volumes = volumes;
  }

  const ports: ServicePort[] = [];
  if (service.ports !== undefined) {
    (Array.isArray(service.ports) ? service.ports : []).forEach((port: unknown, index) => {
      const text = portText(port);
      if (text === undefined) notes.add('notCarried', name, ['ports', index], 'not a port homeostat can publish');
      else ports.push({ text, service: name, index });
    });
  }

  if (role === 'dependent') noteNetworkMode(ctx, name, service);
  if (service.depends_on !== undefined) {
    const on = Array.isArray(service.depends_on) ? service.depends_on.map(String) : isRecord(service.depends_on) ? Object.keys(service.depends_on) : [];
    const others = on.filter((other) => other !== ctx.gateway);
    if (others.length < on.length) notes.add('covered', name, ['depends_on'], `homeostat starts dependents once the gateway ${ctx.gateway} is healthy`);
    if (others.length > 0) notes.add('notCarried', name, ['depends_on'], `${others.join(', ')}: homeostat orders only the gateway before its dependents`);
  }

  for (const [key, value] of Object.entries(service)) {
    if (SPECIAL.has(key)) continue;
    let carried = value;
    if (role === 'gateway' && (key === 'cap_add' || key === 'devices') && Array.isArray(value)) {
      const given = value.filter((item) => (key === 'cap_add' ? String(item).replace(/^CAP_/, '') === GATEWAY_GIVEN.capAdd : String(item).split(':')[0] === GATEWAY_GIVEN.device));
      if (given.length > 0) notes.add('covered', name, [key], `${given.join(', ')}: homeostat gives the gateway NET_ADMIN and /dev/net/tun itself`);
      carried = value.filter((item) => !given.includes(item));
      if ((carried as unknown[]).length === 0) continue;
    }
    const rule = CARRIED[key];
    if (!rule) {
      if (key === 'expose') notes.add('covered', name, [key], 'expose publishes nothing; containers reach it through the gateway');
      else notes.add('notCarried', name, [key], `the VpnSidecar ${role} has no field for it`);
      continue;
    }
    if (!check.has(role, rule.field)) {
      const why = key === 'restart' ? `homeostat keeps the containers running itself (it heals them); the ${role} has no restart field` : `the VpnSidecar ${role} has no ${rule.field} field`;
      notes.add(key === 'restart' ? 'covered' : 'notCarried', name, [key], why);
      continue;
    }
    carry(ctx, name, role, container, rule.field, rule.transform ? rule.transform(carried) : carried, [key]);
  }
  return { container, ports };
}

/** Sets `field` when the spec accepts the value (a command string is also tried split into words), else notes why not. */
function carry(ctx: SecretContext, name: string, role: Role, container: Record<string, unknown>, field: string, value: unknown, path: Array<string | number>): void {
  let carried = value;
  let problem = ctx.check.problem(role, field, carried);
  if (problem && typeof value === 'string' && (field === 'command' || field === 'entrypoint') && !/["'\\]/.test(value)) {
    const words = value.trim().split(/\s+/);
    if (ctx.check.problem(role, field, words) === null) [carried, problem] = [words, null];
  }
  if (problem) {
    ctx.notes.add('notCarried', name, path, `${field}: ${problem}`);
    return;
  }
  container[field] = carried;
  if (field !== 'env' && hasInterpolation(JSON.stringify(carried))) {
    ctx.notes.add('todo', name, path, 'contains a ${VAR} that compose would substitute; homeostat passes it as written');
  }
}

function required(ctx: SecretContext, name: string, role: Role, field: string, value: string, key: string): string {
  const problem = ctx.check.problem(role, field, value);
  if (problem === null) return value;
  const hint = hasInterpolation(value) ? ' (homeostat does not substitute ${VAR}: write the value)' : '';
  throw new ComposeImportError('Unsupported', ctx.compose.file, ctx.compose.where(['services', name, key]), `services.${name}.${key}: "${value}" is not accepted: ${problem}${hint}`);
}

function noteNetworkMode(ctx: SecretContext & { gateway: string }, name: string, service: ComposeService): void {
  ctx.notes.add('covered', name, ['network_mode'], `${String(service.network_mode)}: homeostat runs it in the network stack of the gateway ${ctx.gateway} (container:<gateway id>)`);
}

function listToMap(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return Object.fromEntries(value.map((item) => String(item)).map((item) => (item.includes('=') ? [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)] : [item, ''])));
}

function camelKeys(value: unknown): unknown {
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}
