/**
 * The order in which a batch of keys (a cold start, a big manifest change) enters the work queue. The queue runs
 * them first come, first served, within its global and per-host limits; in file order, a cold start of ten Hosts
 * would run the first Host's hundred containers before the second Host's first, and a Host's one UnifiedNamespace
 * (a chain of a dozen dependent round trips) after all of them, so it alone made the tail. Here: the Hosts
 * interleaved, and on each Host the resources of its rarest kinds first (a lone resource of a kind is usually a
 * long one; a hundred of a kind are short and alike). Pure; stable within a kind.
 */
import type { ResourceKey } from '../../reconcilers/core/resource.js';

export interface StartItem {
  key: ResourceKey;
  kind: string;
  /** Host name ('' for keys without one: they go first, e.g. deletions of unknown hosts). */
  host: string;
}

export function startOrder(items: readonly StartItem[]): ResourceKey[] {
  const byHost = new Map<string, StartItem[]>();
  for (const item of items) {
    let list = byHost.get(item.host);
    if (!list) byHost.set(item.host, (list = []));
    list.push(item);
  }
  const lanes = [...byHost.entries()]
    .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : 0))
    .map(([, list]) => {
      const population = new Map<string, number>();
      for (const item of list) population.set(item.kind, (population.get(item.kind) ?? 0) + 1);
      return list
        .map((item, index) => ({ item, index }))
        .sort((a, b) => population.get(a.item.kind)! - population.get(b.item.kind)! || a.index - b.index)
        .map(({ item }) => item.key);
    });
  const order: ResourceKey[] = [];
  for (let i = 0; lanes.some((lane) => i < lane.length); i++) {
    for (const lane of lanes) if (i < lane.length) order.push(lane[i]!);
  }
  return order;
}
