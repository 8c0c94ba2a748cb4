/**
 * The Hosts in force: one connection per Host resource, shared by every resource on it. `local` (this machine,
 * root `/`) exists implicitly unless a manifest defines a Host with that name. A Host whose spec changes is
 * closed and rebuilt; the controller then requeues the resources on it.
 */
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Resource } from '../../reconcilers/core/resource.js';
import { createHost, type Host } from '../../reconcilers/host/index.js';

export type HostSpecInput = Parameters<typeof createHost>[1];

export const IMPLICIT_LOCAL = 'local';

interface Entry {
  generation: string;
  host: Host;
  spec: HostSpecInput;
}

export class HostPool {
  private readonly entries = new Map<string, Entry>();
  /** Hosts made by prewarm(): the next update() reports them as changed, as if it had made them. */
  private readonly prewarmed = new Set<string>();

  constructor(private readonly opts: { manifestsDir: string; stateDir: string; log: Logger }) {}

  /** Brings the pool in line with the Host resources in force; returns the names whose connection changed. */
  async update(hostResources: Resource<HostSpecInput>[]): Promise<string[]> {
    const wanted = new Map<string, { generation: string; spec: HostSpecInput; baseDir: string }>();
    for (const r of hostResources) {
      wanted.set(r.metadata.name, {
        generation: r.generation,
        spec: r.spec,
        baseDir: dirname(join(this.opts.manifestsDir, r.source.file)),
      });
    }
    if (!wanted.has(IMPLICIT_LOCAL)) {
      wanted.set(IMPLICIT_LOCAL, { generation: 'implicit', spec: { root: '/' } as HostSpecInput, baseDir: this.opts.manifestsDir });
    }
    const changed: string[] = [];
    for (const [name, entry] of this.entries) {
      const next = wanted.get(name);
      if (!next || next.generation !== entry.generation) {
        this.entries.delete(name);
        changed.push(name);
        await entry.host.close().catch((err: unknown) => this.opts.log.warn({ err, host: name }, 'closing host failed'));
      }
    }
    for (const [name, next] of wanted) {
      if (this.entries.has(name)) continue;
      const host = createHost(name, next.spec, { baseDir: next.baseDir, stateDir: this.opts.stateDir, log: this.opts.log });
      this.entries.set(name, { generation: next.generation, host, spec: next.spec });
      host.warmUp(); // every Host is used at once (its own resource proves it answers): connect while the rest starts
      if (!changed.includes(name)) changed.push(name);
    }
    for (const name of this.prewarmed) if (this.entries.has(name) && !changed.includes(name)) changed.push(name);
    this.prewarmed.clear();
    return changed;
  }

  /**
   * update() ahead of time: the Hosts start connecting now (a one-shot command, before the runtime is loaded,
   * oneshot-start.ts), and the next update() still reports them as changed, so whoever takes the pool over
   * treats them as new.
   */
  async prewarm(hostResources: Resource<HostSpecInput>[]): Promise<void> {
    for (const name of await this.update(hostResources)) this.prewarmed.add(name);
  }

  get(name: string): Host | undefined {
    return this.entries.get(name)?.host;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.host.close()));
    this.entries.clear();
  }
}
