/**
 * Host access, the public face: the `Host` contract and its errors, the two transports, the factory that
 * builds one from a Host resource's spec, generic Docker access (containers, images, the reconnecting events
 * stream, unreachable-engine errors), HTTP through a host, and the POSIX shell quoting the SSH transport relies on.
 */
export * from './host.js';
export type { WatchHandle } from './watch-handle.js';
export { splitDeviceNumber } from './file-stat.js';
export { normalizeHostPath } from './host-path.js';
export { OwnWrites, changeSignature, isEcho } from './own-writes.js';
export { LocalHost, type LocalHostOptions } from './local.js';
export { SshHost, type SshHostOptions } from './ssh.js';
export { createHost, type CreateHostContext, type HostSpec, type HostSshSpec } from './factory.js';
export { createDockerClient } from './docker.js';
export { inspectContainer, inspectContainerByName, startContainer, stopContainer, stopAndRemoveContainer } from './docker-containers.js';
export { imagePresent, pullImage } from './docker-images.js';
export {
  DockerUnreachableError, isDockerUnreachable, explainDockerError, dockerStatusCode, dockerEndpointOf, isLocalDockerSocket,
} from './docker-errors.js';
export { followDockerEvents, DOCKER_EVENTS_RETRY, type DockerEvent, type DockerEventFilters, type DockerEventsOptions } from './docker-events.js';
export { hostFetch, MAX_BODY_BYTES, ResponseTooLargeError, type FetchLike, type HostFetchOptions } from './http.js';
export { shellQuote, shellCommand } from './quote.js';
export { sshFingerprint, normalizeFingerprint } from './known-hosts.js';
export { sharedHostFact, forgetHostFact } from './host-facts.js';
