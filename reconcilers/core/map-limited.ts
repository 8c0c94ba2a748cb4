/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight, results in order: the one bounded fan-out
 * (a tree walk, a directory of manifests, a diff of every resource of a host) so that nothing opens a thousand
 * operations at once.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
