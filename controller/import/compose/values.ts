/**
 * Compose's spellings of environment, ports and volumes, turned into the forms the VpnSidecar spec uses (pure).
 * Compose accepts a list or a mapping for environment, a short string or a long mapping for ports and volumes.
 */
import { isAbsolute, resolve } from 'node:path';
import { isRecord } from './compose-file.js';

/** One environment entry as written: `value` undefined when compose would take it from the shell (`- KEY`). */
export interface EnvEntry {
  name: string;
  value: string | undefined;
  /** Index in a list, or the name in a mapping: where the entry is in the compose file. */
  at: string | number;
}

export function environmentEntries(environment: unknown): EnvEntry[] | 'invalid' {
  if (environment === undefined || environment === null) return [];
  if (Array.isArray(environment)) {
    const entries: EnvEntry[] = [];
    environment.forEach((item, i) => {
      if (typeof item !== 'string') return;
      const eq = item.indexOf('=');
      entries.push(eq < 0 ? { name: item, value: undefined, at: i } : { name: item.slice(0, eq), value: item.slice(eq + 1), at: i });
    });
    return entries;
  }
  if (isRecord(environment)) {
    return Object.entries(environment).map(([name, value]) => ({ name, value: value === null || value === undefined ? undefined : String(value), at: name }));
  }
  return 'invalid';
}

/** True when compose would substitute something in `text` (`${VAR}`, `$VAR`; `$$` is a literal `$`). */
export function hasInterpolation(text: string): boolean {
  return /(^|[^$])(\$\$)*\$(\{|[A-Za-z_])/.test(text);
}

/** A port as `[IP:]HOST:CONTAINER[/PROTO]`, from compose's short or long syntax, or undefined if it has no such form. */
export function portText(port: unknown): string | undefined {
  if (typeof port === 'number') return String(port);
  if (typeof port === 'string') return port;
  if (!isRecord(port) || port.target === undefined) return undefined;
  const host = port.host_ip === undefined ? '' : `${String(port.host_ip)}:`;
  const published = port.published === undefined ? '' : `${String(port.published)}:`;
  const protocol = port.protocol === undefined ? '' : `/${String(port.protocol)}`;
  return `${published === '' ? '' : host}${published}${String(port.target)}${protocol}`;
}

/** The container side of a port text (`8080` in `127.0.0.1:8081:8080/tcp`), for matching ports to services. */
export function containerPort(text: string): string {
  const withoutProto = text.split('/')[0]!;
  return withoutProto.slice(withoutProto.lastIndexOf(':') + 1);
}

/**
 * A volume as `SOURCE:TARGET[:OPTIONS]`, from compose's short or long syntax, with a relative bind source
 * (`./config`) made absolute against the compose file's folder, as compose does. `reason` when it has no such form.
 */
export function volumeText(volume: unknown, composeDir: string): { text: string; resolved?: string } | { reason: string } {
  let source: string | undefined;
  let target: string | undefined;
  let options: string | undefined;
  if (typeof volume === 'string') {
    const parts = volume.split(':');
    if (parts.length === 1) return { reason: 'an anonymous volume (no source); give it a name or a host path' };
    [source, target, options] = parts;
  } else if (isRecord(volume)) {
    if (volume.type !== undefined && volume.type !== 'bind' && volume.type !== 'volume') return { reason: `a ${String(volume.type)} mount (only bind and volume mounts)` };
    if (typeof volume.source !== 'string') return { reason: 'an anonymous volume (no source); give it a name or a host path' };
    source = volume.source;
    target = typeof volume.target === 'string' ? volume.target : undefined;
    options = volume.read_only === true ? 'ro' : undefined;
    const extra = Object.keys(volume).filter((k) => !['type', 'source', 'target', 'read_only'].includes(k));
    if (extra.length > 0) return { reason: `long syntax with ${extra.join(', ')}, which the spec's SOURCE:TARGET[:OPTIONS] cannot say` };
  }
  if (source === undefined || target === undefined) return { reason: 'not a SOURCE:TARGET mount' };
  if (source.startsWith('~')) return { reason: `the source ${source} is relative to a home directory; write the absolute path` };
  const relative = source.startsWith('.') && !isAbsolute(source);
  const absolute = relative ? resolve(composeDir, source) : source;
  const text = `${absolute}:${target}${options ? `:${options}` : ''}`;
  return relative ? { text, resolved: source } : { text };
}
