/**
 * `POST /api/v1/source/refresh` (a git host's webhook, the status page's button): asks the source to fetch, and
 * answers when that fetch ends or after `waitMs`, whichever is first (then the answer is 202: the fetch goes on,
 * and the page's stream shows its result when it ends). Every request asks: a push that lands while a fetch is
 * under way must be fetched after it, not joined to it. The source bounds the work (the git source runs one fetch
 * at a time, and the requests made during one share a single fetch after it: controller/source/schedule.ts).
 */
import type { SourceControl, SourceState } from '../source/types.js';

/** Refreshes; `done` is false when `waitMs` passed first. */
export type RefreshSource = () => Promise<{ state: SourceState; done: boolean }>;

export function boundedRefresh(source: SourceControl, waitMs: number, onEnd: () => void): RefreshSource {
  return async () => {
    const refreshing = source.refresh().finally(onEnd);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, waitMs, undefined)));
    try {
      const state = await Promise.race([refreshing, waited]);
      return state ? { state, done: true } : { state: source.state(), done: false };
    } finally {
      clearTimeout(timer);
    }
  };
}
