/**
 * Published ports, pure: parsing `[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/tcp|udp]` (the `docker run -p`
 * syntax) into one binding per port, finding a host port published twice, and the `ExposedPorts` /
 * `PortBindings` Docker wants for the gateway (which publishes every dependent's ports: a container sharing
 * another's network stack cannot publish any).
 */
import { invalidSpec, type Problem } from '../core/problem.js';

export type Protocol = 'tcp' | 'udp';

export interface PortBinding {
  /** '' means every interface (Docker's default, as with `docker run -p 8080:8080`). */
  hostIp: string;
  /** `null`: Docker picks a free host port. */
  hostPort: number | null;
  containerPort: number;
  protocol: Protocol;
}

/** A port spec and where it was declared (`spec.dependents[0].ports[1]`), for messages. */
export interface DeclaredPort {
  field: string;
  text: string;
}

const PORT_SPEC = /^(?:((?:[0-9]{1,3}\.){3}[0-9]{1,3}):)?(?:([0-9]{1,5})(?:-([0-9]{1,5}))?:)?([0-9]{1,5})(?:-([0-9]{1,5}))?(?:\/(tcp|udp))?$/;

/** The largest range one spec may publish (Docker sets up a proxy and an iptables rule per port). */
export const MAX_RANGE = 1000;

export function parsePortSpec(text: string): { bindings: PortBinding[] } | { problem: string } {
  const match = PORT_SPEC.exec(text);
  if (!match) return { problem: `"${text}" is not [IP:][HOST:]CONTAINER[/tcp|udp]` };
  const [, ip, hostFrom, hostTo, containerFrom, containerTo, proto] = match;
  if (ip !== undefined && ip.split('.').some((octet) => Number(octet) > 255)) {
    return { problem: `"${text}": ${ip} is not an IPv4 address` };
  }
  const container = range(containerFrom!, containerTo);
  if ('problem' in container) return { problem: `"${text}": ${container.problem}` };
  let host: { from: number; to: number } | null = null;
  if (hostFrom !== undefined) {
    const parsed = range(hostFrom, hostTo);
    if ('problem' in parsed) return { problem: `"${text}": ${parsed.problem}` };
    host = parsed;
    if (host.to - host.from !== container.to - container.from) {
      return { problem: `"${text}": the host range and the container range must be the same length` };
    }
  }
  const bindings: PortBinding[] = [];
  for (let i = 0; i <= container.to - container.from; i++) {
    bindings.push({
      hostIp: ip ?? '',
      hostPort: host ? host.from + i : null,
      containerPort: container.from + i,
      protocol: (proto as Protocol | undefined) ?? 'tcp',
    });
  }
  return { bindings };
}

function range(fromText: string, toText: string | undefined): { from: number; to: number } | { problem: string } {
  const from = Number(fromText);
  const to = toText === undefined ? from : Number(toText);
  for (const port of [from, to]) if (port < 1 || port > 65535) return { problem: `port ${port} is not in 1-65535` };
  if (to < from) return { problem: `the range ${from}-${to} runs backwards` };
  if (to - from + 1 > MAX_RANGE) return { problem: `a range may publish at most ${MAX_RANGE} ports` };
  return { from, to };
}

/** Host addresses that overlap: '' and 0.0.0.0 (every interface) overlap every address. */
function sameAddress(a: string, b: string): boolean {
  const any = (ip: string) => ip === '' || ip === '0.0.0.0';
  return any(a) || any(b) || a === b;
}

export function formatBinding(b: PortBinding): string {
  const host = b.hostPort === null ? '' : `${b.hostIp ? `${b.hostIp}:` : ''}${b.hostPort}:`;
  return `${host}${b.containerPort}/${b.protocol}`;
}

/**
 * Every problem with a set of declared ports: specs that do not parse, and host ports published twice (same
 * protocol, overlapping addresses). Each names the field; a clash names both.
 */
export function portProblems(declared: readonly DeclaredPort[]): Problem<'InvalidSpec'>[] {
  const problems: Problem<'InvalidSpec'>[] = [];
  const seen: Array<{ binding: PortBinding; field: string }> = [];
  for (const { field, text } of declared) {
    const parsed = parsePortSpec(text);
    if ('problem' in parsed) {
      problems.push(invalidSpec(field, parsed.problem));
      continue;
    }
    let clashed = false;
    for (const binding of parsed.bindings) {
      if (binding.hostPort === null || clashed) continue;
      const other = seen.find(
        (s) => s.binding.hostPort === binding.hostPort && s.binding.protocol === binding.protocol && sameAddress(s.binding.hostIp, binding.hostIp),
      );
      if (other) {
        const where = binding.hostIp || 'every interface';
        problems.push(
          invalidSpec(
            field,
            `host port ${binding.hostPort}/${binding.protocol} on ${where} is already published by ${other.field} ("${text}" clashes); a host port can be published once`,
          ),
        );
        clashed = true;
      }
    }
    for (const binding of parsed.bindings) seen.push({ binding, field });
  }
  return problems;
}

/** Bindings in a canonical order (for hashing and for Docker). */
export function sortBindings(bindings: readonly PortBinding[]): PortBinding[] {
  const key = (b: PortBinding) => `${b.protocol}|${String(b.containerPort).padStart(5, '0')}|${b.hostIp}|${String(b.hostPort ?? 0).padStart(5, '0')}`;
  return [...bindings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Docker's create options for a set of bindings. */
export function dockerPorts(bindings: readonly PortBinding[]): {
  ExposedPorts: Record<string, object>;
  PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
} {
  const ExposedPorts: Record<string, object> = {};
  const PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const b of sortBindings(bindings)) {
    const key = `${b.containerPort}/${b.protocol}`;
    ExposedPorts[key] = {};
    (PortBindings[key] ??= []).push({ HostIp: b.hostIp, HostPort: b.hostPort === null ? '' : String(b.hostPort) });
  }
  return { ExposedPorts, PortBindings };
}
