/**
 * Facts about a host that many resources ask for in the same pass (which containers run, which device cgroup
 * hierarchy LXC enforces), read once and shared: single-flight (whoever asks while a read is under way waits
 * for that read) and kept for `ttlMs` after it succeeds; a failed read is never kept. Keyed by the Host object,
 * so a Host rebuilt after its spec changed starts with no facts. `forgetHostFact` drops a fact after an action
 * that changes it (a container started or restarted): the next asker reads it again.
 */
import type { Host } from './host.js';

interface Fact {
  value: Promise<unknown>;
  /** When the read settled successfully (performance.now()); undefined while it is under way. */
  settledAt?: number;
  ttlMs: number;
}

const factsByHost = new WeakMap<Host, Map<string, Fact>>();

/** `key`'s value on `host`: the shared one when it is under way or younger than `ttlMs`, else `read()`'s. */
export function sharedHostFact<T>(host: Host, key: string, ttlMs: number, read: () => Promise<T>): Promise<T> {
  let facts = factsByHost.get(host);
  if (!facts) factsByHost.set(host, (facts = new Map()));
  const known = facts.get(key);
  const now = performance.now();
  if (known && (known.settledAt === undefined || now - known.settledAt < known.ttlMs)) return known.value as Promise<T>;
  const fact: Fact = { value: read(), ttlMs };
  facts.set(key, fact);
  fact.value.then(
    () => (fact.settledAt = performance.now()),
    () => {
      if (facts.get(key) === fact) facts.delete(key);
    },
  );
  return fact.value as Promise<T>;
}

/** Drops `key` on `host`: a read under way still answers those already waiting, never a later asker. */
export function forgetHostFact(host: Host, key: string): void {
  factsByHost.get(host)?.delete(key);
}
