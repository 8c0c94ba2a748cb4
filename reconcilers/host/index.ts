/**
 * Host access, the public face: the `Host` contract and its errors, the two transports, the factory that
 * builds one from a Host resource's spec, and the POSIX shell quoting the SSH transport relies on.
 */
export * from './host.js';
export type { WatchHandle } from './watch-handle.js';
export { LocalHost, type LocalHostOptions } from './local.js';
export { SshHost, type SshHostOptions } from './ssh.js';
export { createHost, type CreateHostContext, type HostSpec, type HostSshSpec } from './factory.js';
export { createDockerClient } from './docker.js';
export { hostFetch, type FetchLike } from './http.js';
export { shellQuote, shellCommand } from './quote.js';
export { sshFingerprint, normalizeFingerprint } from './known-hosts.js';
