/**
 * OwnWrites: a write is an echo only while the path still has exactly the stat written (change time included),
 * within the window; an event that comes while the write is still in flight waits for its answer.
 */
import { describe, expect, it } from 'vitest';
import type { FileStat } from './host.js';
import { ECHO_WINDOW_MS, isEcho, OwnWrites } from './own-writes.js';

const stat = (over: Partial<FileStat> = {}): FileStat => ({
  type: 'file', mode: 0o640, uid: 0, gid: 0, size: 10, mtimeMs: 1000.5, dev: 1, ino: 7, nlink: 1, rdevMajor: 0, rdevMinor: 0, ctimeMs: 1000.5, ...over,
});

describe('OwnWrites', () => {
  it('knows nothing of paths it did not write', () => {
    expect(new OwnWrites().expected('/etc/pve/lxc/100.conf')).toBeUndefined();
  });

  it('an event while the write is in flight waits for it; then only the exact stat is an echo', async () => {
    const own = new OwnWrites();
    const finish = own.begin('/a');
    const pending = own.expected('/a');
    expect(pending).toBeInstanceOf(Promise);
    finish(stat());
    const signature = await pending;
    expect(isEcho(signature, stat())).toBe(true);
    expect(isEcho(signature, stat({ ctimeMs: 1000.6 }))).toBe(false); // changed in place (touch, chmod, write)
    expect(isEcho(signature, stat({ ino: 8 }))).toBe(false); // replaced by a rename
    expect(isEcho(signature, stat({ size: 11 }))).toBe(false);
    expect(isEcho(signature, null)).toBe(false); // gone
  });

  it('a failed write, or one without a change time, makes no echo', async () => {
    const own = new OwnWrites();
    const failed = own.around('/a', () => Promise.reject(new Error('EIO')));
    const pending = own.expected('/a');
    await expect(failed).rejects.toThrow('EIO');
    expect(await pending).toBeUndefined();
    expect(own.expected('/a')).toBeUndefined();
    await own.around('/b', async () => stat({ ctimeMs: undefined }));
    expect(own.expected('/b')).toBeUndefined();
  });

  it('forgets a write after the window', async () => {
    let now = 0;
    const own = new OwnWrites(() => now);
    await own.around('/a', async () => stat());
    expect(await own.expected('/a')).toBeDefined();
    now += ECHO_WINDOW_MS + 1;
    expect(own.expected('/a')).toBeUndefined();
  });
});
