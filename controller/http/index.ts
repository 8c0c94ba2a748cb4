/**
 * The controller's HTTP endpoint and who may use it: `startHttp` (server.ts), the access rules (guard.ts) and
 * the API token in the state directory (token.ts), which the CLI reads to call a running controller.
 */
export { startHttp, type HttpControls, type HttpEndpoint, type HttpListen } from './server.js';
export { acceptedHosts, assertListenAllowed, checkRequest, isLoopbackHost, RemoteListenRefused, type AccessPolicy, type RequestFacts, type Verdict } from './guard.js';
export { apiTokenPath, ApiTokenError, bearerMatches, ensureApiToken, readApiToken } from './token.js';
