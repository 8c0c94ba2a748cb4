/**
 * The controller's HTTP endpoint and who may use it: `startHttp` (server.ts), the access rules (guard.ts), the
 * API token in the state directory (token.ts), which the CLI reads to call a running controller, and the status
 * page (page/) with its live stream (stream/).
 */
export { startHttp, type HttpControls, type HttpEndpoint, type HttpListen, type HttpOptions } from './server.js';
export { acceptedHosts, assertListenAllowed, checkRequest, isLoopbackHost, RemoteListenRefused, type AccessPolicy, type RequestFacts, type Verdict } from './guard.js';
export { apiTokenPath, ApiTokenError, bearerMatches, ensureApiToken, readApiToken } from './token.js';
export { CONTENT_SECURITY_POLICY, PAGE_PATHS } from './page/index.js';
export { DEFAULT_STREAM_LIMITS, StatusStream, type ResourceSummary, type StreamDelta, type StreamLimits, type StreamStats } from './stream/index.js';
