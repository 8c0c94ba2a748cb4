/**
 * The copy audit on a real tree of a few thousand files (tmpfs): exact counts of copies versus hardlinks and of
 * the bytes wasted, and that it is incremental: a second audit hashes nothing, a changed file is the only one
 * hashed again, a small byte budget spreads the hashing over runs. Prints its timings (the README quotes them).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import type { ResourceCache } from '../../reconcilers/core/contract.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { auditDue, runAudit } from '../../reconcilers/unified-namespace/audit/index.js';
import type { UnifiedNamespaceMemo } from '../../reconcilers/unified-namespace/audit/memo.js';
import { canMount, integration } from '../support/integration.js';
import { createSandbox, type Sandbox } from './sandbox.js';

/** The resource cache as the state store keeps it, in memory. */
class MemoryCache implements ResourceCache {
  entries = new Map<string, string>();
  load(): Map<string, string> {
    return new Map(this.entries);
  }
  save(entries: ReadonlyMap<string, string>): void {
    this.entries = new Map(entries);
  }
}

const mounts = integration('mount', canMount(), 'tmpfs mounts need root on Linux');
const NOW = Date.parse('2025-06-01T12:00:00Z');

let box: Sandbox;
const expected = { copies: 0, wasted: 0, library: 0, downloads: 0 };
let firstCopy = '';

beforeAll(() => {
  if (!canMount()) return;
  box = createSandbox();
  box.mountTmpfs('/data', '96m');
  const real = (p: string) => box.real(`/data/${p}`);
  for (const d of ['torrents/movies', 'usenet/complete/tv', 'media/movies', 'media/tv', 'media/music']) mkdirSync(real(d), { recursive: true });
  // 1200 torrents and 600 usenet downloads; a third hardlinked into the library, a third copied, a third not imported.
  const imports = (from: string, to: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const content = randomBytes(2048 + ((i * 37) % 4096));
      writeFileSync(real(`${from}/f${i}.mkv`), content);
      expected.downloads++;
      if (i % 3 === 0) {
        linkSync(real(`${from}/f${i}.mkv`), real(`${to}/f${i}.mkv`));
        expected.library++;
      } else if (i % 3 === 1) {
        writeFileSync(real(`${to}/f${i}.mkv`), content);
        if (!firstCopy) firstCopy = `${to}/f${i}.mkv`;
        expected.library++;
        expected.copies++;
        expected.wasted += content.length;
      }
    }
  };
  imports('torrents/movies', 'media/movies', 1200);
  imports('usenet/complete/tv', 'media/tv', 600);
  // 1000 library files of their own, many with a download's size but other content: hashed, never counted.
  for (let i = 0; i < 1000; i++) {
    writeFileSync(real(`media/music/m${i}.flac`), randomBytes(2048 + ((i * 37) % 4096)));
    expected.library++;
  }
});
afterAll(async () => {
  await box?.cleanup();
});

mounts.describe('copy audit', () => {
  mounts.it('counts copies and wasted bytes exactly, then audits again without hashing anything', async () => {
    const memo: UnifiedNamespaceMemo = {};
    const index = new MemoryCache();
    const first = await runAudit(box.host, '/data', memo, index, NOW);
    expect(first).toMatchObject({
      libraryFiles: expected.library,
      downloadFiles: expected.downloads,
      copies: expected.copies,
      wastedBytes: expected.wasted,
      unresolved: 0,
      otherDevices: [],
    });
    expect(first.hashedFiles).toBeGreaterThan(expected.copies * 2 - 1);
    expect(first.hashedFiles).toBeLessThan(expected.library + expected.downloads); // hardlinks and lone files are never read
    expect(memo.audit).toEqual({ at: NOW, pending: 0 });
    expect(auditDue(memo, NOW + 60_000)).toBe(false);
    const memoBytes = JSON.stringify(memo).length;

    const second = await runAudit(box.host, '/data', memo, index, NOW + 600_000);
    expect(second).toMatchObject({ copies: expected.copies, wastedBytes: expected.wasted, hashedFiles: 0, hashedBytes: 0 });

    // A copy rewritten with other content (same size): only it is hashed again, and it is no longer a copy.
    writeFileSync(box.real(`/data/${firstCopy}`), randomBytes(Buffer.byteLength(await box.host.readFile(`/data/${firstCopy}`))));
    const third = await runAudit(box.host, '/data', memo, index, NOW + 1_200_000);
    expect(third).toMatchObject({ copies: expected.copies - 1, hashedFiles: 1 });

    console.log(
      `copy audit on ${expected.library + expected.downloads} files: first ${first.durationMs} ms (hashed ${first.hashedFiles} files, ` +
        `${first.hashedBytes} B), second ${second.durationMs} ms (hashed 0), after one change ${third.durationMs} ms (hashed 1); ` +
        `memo ${memoBytes} B, hash index ${index.entries.size} entries`,
    );
    expect(memoBytes).toBeLessThan(200); // the index lives in the cache table, not in the memo
    expect(index.entries.size).toBe(first.hashedFiles); // exactly the candidates, each hashed once
  });

  mounts.it('a small byte budget spreads the hashing over several runs, each continuing where the last stopped', async () => {
    const memo: UnifiedNamespaceMemo = {};
    const index = new MemoryCache();
    let runs = 0;
    let last;
    do {
      last = await runAudit(box.host, '/data', memo, index, NOW + runs, { budgetBytes: 1024 * 1024 });
      runs++;
    } while (memo.audit!.pending > 0 && runs < 50);
    expect(runs).toBeGreaterThan(3);
    // (the first test rewrote one copy)
    expect(last).toMatchObject({ copies: expected.copies - 1, unresolved: 0 });
  });
});
