/**
 * `createHost`: a Host resource's spec → a `Host`. No `ssh` section means this machine (`LocalHost`).
 * Relative local paths (`root`, `identityFile`, `knownHostsFile`, `docker.tls.*`) resolve against the folder of the
 * manifest that declared the Host; trust-on-first-use without a `knownHostsFile` records keys in
 * `<stateDir>/known_hosts`.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { HostSpec as CrdHostSpec, HostSshSpec as CrdHostSshSpec } from '../../crds/types.js';
import type { Host } from './host.js';
import { LocalHost } from './local.js';
import { SshHost } from './ssh.js';

/** The Host spec as the CRD defines it (generated types); fields with defaults may be left out (tests, implicit `local`). */
export type HostSshSpec = Partial<CrdHostSshSpec> & Pick<CrdHostSshSpec, 'address'>;
export type HostSpec = Partial<Omit<CrdHostSpec, 'ssh'>> & { ssh?: HostSshSpec };

export interface CreateHostContext {
  /** Folder of the manifest that declared the Host (relative paths resolve against it). */
  baseDir: string;
  /** homeostat's state directory (TOFU known_hosts lives there by default). */
  stateDir: string;
  log?: Logger;
}

/** Builds the Host (no connection is opened until the first operation). */
export function createHost(name: string, spec: HostSpec, ctx: CreateHostContext): Host {
  const log = ctx.log?.child({ host: name });
  const root = spec.root === undefined || isAbsolute(spec.root) ? spec.root : resolve(ctx.baseDir, spec.root);
  const fromBase = (file: string | undefined): string | undefined =>
    file === undefined ? undefined : isAbsolute(file) ? file : resolve(ctx.baseDir, file);
  // The Docker TLS files are read here, on the controller's machine, for local and SSH Hosts alike.
  const tls = spec.docker?.tls;
  const docker = tls ? { ...spec.docker, tls: { ca: fromBase(tls.ca)!, cert: fromBase(tls.cert)!, key: fromBase(tls.key)! } } : spec.docker;
  if (!spec.ssh) return new LocalHost({ name, root, log, platform: spec.platform, docker });
  const ssh = spec.ssh;
  const knownHostsFile = fromBase(ssh.knownHostsFile) ?? (ssh.trustOnFirstUse ? join(ctx.stateDir, 'known_hosts') : undefined);
  return new SshHost({
    name,
    // On a remote machine the root is a path there: it cannot be relative to a local manifest folder.
    root: spec.root,
    address: ssh.address,
    port: ssh.port,
    user: ssh.user,
    identityFile: fromBase(ssh.identityFile),
    agent: ssh.agent,
    knownHostsFile,
    hostKeyFingerprint: ssh.hostKeyFingerprint,
    trustOnFirstUse: ssh.trustOnFirstUse,
    platform: spec.platform,
    docker,
    log,
  });
}
