/**
 * The status page's live stream: Server-Sent Events of row-level deltas over the store's change feed (hub.ts),
 * each reader bounded (client.ts), rows as the page's table shows them (summary.ts).
 */
export { DEFAULT_STREAM_LIMITS, StatusStream, type StreamDelta, type StreamLimits, type StreamStats } from './hub.js';
export { summarize, type ResourceSummary } from './summary.js';
export type { StreamEvent } from './pending.js';
