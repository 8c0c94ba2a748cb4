/**
 * SshWatchHub with a fake transport: a host without inotifywait (the stream exits 127) is watched by
 * polling; a stream's events are routed to the registrations that care, and an ended stream re-arms.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ClientChannel } from 'ssh2';
import type { FileStat, WatchEvent } from './host.js';
import { SshWatchHub, type WatchTarget } from './ssh-watch.js';

class FakeChannel extends EventEmitter {
  readonly stderr = Object.assign(new EventEmitter(), { setEncoding: () => undefined });
  setEncoding(): void {}
  end(): void {}
  close(): void {
    this.emit('close');
  }
  /** Sends stdout records (NUL-terminated) and stderr text. */
  say(records: string[], stderr = ''): void {
    if (records.length) this.emit('data', records.map((r) => `${r}\0`).join(''));
    if (stderr) this.stderr.emit('data', stderr);
  }
  exit(code: number): void {
    this.emit('exit', code);
    this.emit('close');
  }
}

const fileStat = (size: number): FileStat => ({
  type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtimeMs: 1, dev: 1, ino: 1, nlink: 1, rdevMajor: 0, rdevMinor: 0,
});

const waitFor = async (check: () => boolean, ms = 2000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('SshWatchHub', () => {
  it('polls when inotifywait is missing (exit 127) and reports differences as poll events', async () => {
    const sizes = new Map<string, number | null>([['/srv/a.conf', 1]]);
    const hub = new SshWatchHub({
      forcePolling: false,
      pollIntervalMs: 20,
      killRemote: async () => undefined,
      openStream: async (_paths, attach) => {
        const channel = new FakeChannel();
        attach(channel as unknown as ClientChannel, () => undefined);
        setTimeout(() => channel.exit(127), 5);
      },
      statMany: async (targets: WatchTarget[]) => targets.map((t) => {
        const size = sizes.get(t.realPath);
        return size === undefined || size === null ? null : fileStat(size);
      }),
    });
    const events: WatchEvent[] = [];
    const handle = hub.add([{ hostPath: '/a.conf', realPath: '/srv/a.conf' }], (e) => events.push(e));
    await handle.ready;
    expect(hub.watchMode).toBe('poll');
    expect(events).toEqual([]);
    sizes.set('/srv/a.conf', 2);
    await waitFor(() => events.length > 0);
    expect(events[0]).toEqual({ path: '/a.conf', kind: 'poll' });
    await hub.close();
  });

  it('routes stream events to the paths they concern and re-arms when the stream ends', async () => {
    const channels: FakeChannel[] = [];
    const hub = new SshWatchHub({
      forcePolling: false,
      pollIntervalMs: 1000,
      killRemote: async () => undefined,
      openStream: async (paths, attach) => {
        const channel = new FakeChannel();
        channels.push(channel);
        attach(channel as unknown as ClientChannel, () => undefined);
        // /r/dir is a directory, /r/file.conf exists, /r/missing/deep does not (anchor /r).
        const header = paths.map((p) => (p === '/r/dir' ? 'd /r' : p === '/r/file.conf' ? 'e /r' : '- /r'));
        channel.say(['PID 4242', ...header, 'ARMED'], 'Setting up watches.\nWatches established.\n');
      },
      statMany: async () => [],
    });
    const events: WatchEvent[] = [];
    const handle = hub.add(
      [
        { hostPath: '/dir', realPath: '/r/dir' },
        { hostPath: '/file.conf', realPath: '/r/file.conf' },
        { hostPath: '/missing/deep', realPath: '/r/missing/deep' },
      ],
      (e) => events.push(e),
    );
    await handle.ready;
    const stream = channels.at(-1)!;
    stream.say(['/r/file.conf|MODIFY', '/r/dir/entry|CREATE', '/r/unrelated|CREATE', '/r/missing|CREATE,ISDIR']);
    expect(events).toEqual([
      { path: '/file.conf', kind: 'change' },
      { path: '/dir/entry', kind: 'rename' },
      { path: '/missing/deep', kind: 'rename' },
    ]);
    // The missing path's ancestor appeared: a new stream is started.
    await waitFor(() => channels.length === 2);
    // The stream dies (connection lost): every path gets an event when it breaks, and again once the new
    // stream is established (whatever changed while blind).
    const before = events.length;
    channels.at(-1)!.exit(255);
    await waitFor(() => channels.length === 3 && events.length - before >= 6);
    const paths = events.slice(before).map((e) => e.path).sort();
    expect(paths).toEqual(['/dir', '/dir', '/file.conf', '/file.conf', '/missing/deep', '/missing/deep']);
    handle.close();
    await hub.close();
  });
});
