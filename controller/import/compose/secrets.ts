/**
 * Secrets out of a compose service, as `secretEnv` file references: never a value in the manifest.
 * - `secrets:` (a file compose mounts at /run/secrets/NAME) → the variable the image reads it from (a
 *   `FILE__VAR` / `VAR_SECRETFILE` / `VAR_FILE` entry pointing at it says which; else NAME in capitals), same file;
 * - `env_file:` → one entry per variable it names (only names are read), each pointing at a file the user writes,
 *   since homeostat reads one value per file;
 * - an `environment` entry that looks like a secret (…PASSWORD, …TOKEN, …PRIVATE_KEY, OPENVPN_USER) → the same.
 */
import { resolve } from 'node:path';
import { isRecord, type ComposeFile, type ComposeService } from './compose-file.js';
import type { NoteList } from './notes.js';
import type { Role, SpecCheck } from './spec-check.js';
import type { EnvEntry } from './values.js';

/** Variable names that hold credentials: their values are never copied into a manifest. */
const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|PRIVATE_KEY|API_?KEY|PRESHARED_KEY|_PSK$|CREDENTIAL|^OPENVPN_USER$)/i;
/** Variables that name a file to read a value from (linuxserver.io's FILE__VAR, gluetun's VAR_SECRETFILE, VAR_FILE). */
const FILE_POINTER = /^FILE__(.+)$|^(.+)_SECRETFILE$|^(.+)_FILE$/;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name) && !FILE_POINTER.test(name);
}

export interface SecretContext {
  compose: ComposeFile;
  composeDir: string;
  /** Where the user is told to write the values that have no file yet: `<secretsDir>/<resource>/<VAR>`. */
  secretsDir: string;
  resource: string;
  check: SpecCheck;
  notes: NoteList;
  /** The variable names an env file defines (values are never returned), or undefined when it cannot be read. */
  readEnvNames(path: string): string[] | undefined;
}

export interface SecretEnv {
  secretEnv: Record<string, { file: string }>;
  /** Environment entries carried as secretEnv or replaced by it: left out of `env`. */
  consumed: Set<string>;
}

export function secretEnvOf(ctx: SecretContext, name: string, role: Role, service: ComposeService, env: readonly EnvEntry[]): SecretEnv {
  const out: SecretEnv = { secretEnv: {}, consumed: new Set() };
  const add = (variable: string, file: string, path: ReadonlyArray<string | number>): boolean => {
    const problem = ctx.check.problem(role, 'secretEnv', { [variable]: { file } });
    if (problem) {
      ctx.notes.add('notCarried', name, path, `${variable} → ${file}: the spec does not accept it (${problem})`);
      return false;
    }
    out.secretEnv[variable] = { file };
    return true;
  };
  const toWrite = (variable: string) => `${ctx.secretsDir}/${ctx.resource}/${variable}`;
  fromSecrets(ctx, name, service, env, out, add);

  const defined = new Set(env.map((e) => e.name));
  for (const entry of env) {
    if (out.consumed.has(entry.name) || !looksSecret(entry.name)) continue;
    if (out.secretEnv[entry.name]) continue;
    const file = toWrite(entry.name);
    if (!add(entry.name, file, ['environment', entry.at])) continue;
    out.consumed.add(entry.name);
    const was = entry.value === undefined || entry.value === '' ? 'has no value here' : entry.value.includes('$') ? 'comes from a compose variable here' : 'has a value here';
    ctx.notes.add('todo', name, ['environment', entry.at], `${entry.name} looks like a secret and ${was}: its value is left out of the manifest; write it into ${file} (one line, chmod 600)`);
  }

  const envFiles = envFileList(service.env_file);
  envFiles.forEach(({ path, required }, i) => {
    const at = envFiles.length === 1 && typeof service.env_file === 'string' ? ['env_file'] : ['env_file', i];
    const absolute = resolve(ctx.composeDir, path);
    const names = ctx.readEnvNames(absolute);
    if (names === undefined) {
      ctx.notes.add(required ? 'todo' : 'notCarried', name, at, `${absolute} could not be read, so its variables are not listed: add a secretEnv entry for each (one value per file under ${ctx.secretsDir}/${ctx.resource}/)`);
      return;
    }
    const carried = names.filter((variable) => !defined.has(variable) && !out.secretEnv[variable] && add(variable, toWrite(variable), at));
    const overridden = names.filter((variable) => defined.has(variable));
    if (carried.length > 0) {
      ctx.notes.add(
        'todo',
        name,
        at,
        `${absolute} defines ${carried.join(', ')}: each is a secretEnv entry, since homeostat reads one value per file. Write each value into ${ctx.secretsDir}/${ctx.resource}/<NAME> (one line, chmod 600), e.g. ` +
          `grep -m1 '^${carried[0]}=' ${absolute} | cut -d= -f2- > ${toWrite(carried[0]!)}` +
          (carried.length > 1 ? '; or move the ones that are not secret into env' : ''),
      );
    }
    if (overridden.length > 0) ctx.notes.add('covered', name, at, `${overridden.join(', ')}: environment sets them too and wins, as in compose`);
  });
  return out;
}

function fromSecrets(ctx: SecretContext, name: string, service: ComposeService, env: readonly EnvEntry[], out: SecretEnv, add: (variable: string, file: string, path: ReadonlyArray<string | number>) => boolean): void {
  if (service.secrets === undefined) return;
  if (!Array.isArray(service.secrets)) {
    ctx.notes.add('notCarried', name, ['secrets'], 'not a list of secrets');
    return;
  }
  service.secrets.forEach((secret: unknown, i) => {
    const source = typeof secret === 'string' ? secret : isRecord(secret) && typeof secret.source === 'string' ? secret.source : undefined;
    if (source === undefined) return ctx.notes.add('notCarried', name, ['secrets', i], 'a secret without a source');
    const target = isRecord(secret) && typeof secret.target === 'string' ? secret.target : source;
    const mountedAt = target.startsWith('/') ? target : `/run/secrets/${target}`;
    const definition = ctx.compose.secrets[source];
    if (!isRecord(definition) || typeof definition.file !== 'string') {
      const how = isRecord(definition) ? (definition.external ? 'is external' : definition.environment ? `comes from the environment variable ${String(definition.environment)}` : 'has no file') : 'is not defined under the top-level secrets';
      return ctx.notes.add('notCarried', name, ['secrets', i], `secret ${source} ${how}: write its value into a file and add a secretEnv entry for it`);
    }
    const file = resolve(ctx.composeDir, definition.file);
    const pointer = env.find((e) => e.value === mountedAt && FILE_POINTER.test(e.name));
    const match = pointer ? FILE_POINTER.exec(pointer.name) : null;
    const variable = match ? (match[1] ?? match[2] ?? match[3])! : target.replace(/^.*\//, '').toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    if (!add(variable, file, ['secrets', i])) return;
    if (pointer) {
      out.consumed.add(pointer.name);
      ctx.notes.add('covered', name, ['secrets', i], `secret ${source} (mounted at ${mountedAt}, named by ${pointer.name}) becomes secretEnv ${variable}, read from ${file}`);
    } else {
      ctx.notes.add(
        'todo',
        name,
        ['secrets', i],
        `secret ${source} was mounted at ${mountedAt}; homeostat passes it as the environment variable ${variable} instead (read from ${file}, which must hold one line): check that the image reads ${variable} (gluetun does for its own secrets)`,
      );
    }
  });
}

function envFileList(envFile: unknown): Array<{ path: string; required: boolean }> {
  const list = envFile === undefined ? [] : Array.isArray(envFile) ? envFile : [envFile];
  return list.flatMap((item: unknown) =>
    typeof item === 'string' ? [{ path: item, required: true }] : isRecord(item) && typeof item.path === 'string' ? [{ path: item.path, required: item.required !== false }] : [],
  );
}
