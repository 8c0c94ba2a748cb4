/**
 * applySteps: which changes run at once. For any plan whose folders come parents first, the steps keep the plan's
 * order, never create a folder with its parent nor touch the same folder twice in one step, and only creates of one depth
 * or owner/mode fixes share a step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applySteps } from './apply-steps.js';
import type { UnifiedNamespaceChange } from './model.js';

const base = { target: 't', summary: 's' };
const create = (path: string): UnifiedNamespaceChange => ({ ...base, action: 'create', path, mode: 0o2775, owner: null });
const chmod = (path: string): UnifiedNamespaceChange => ({ ...base, action: 'chmod', path, mode: 0o2775, dev: 1, ino: 2 });
const chown = (path: string): UnifiedNamespaceChange => ({ ...base, action: 'chown', path, uid: 1, gid: 1, dev: 1, ino: 2 });
const remove = (path: string): UnifiedNamespaceChange => ({ ...base, action: 'delete', item: { type: 'directory', host: 'h', id: path }, dev: 1, ino: 2 });
const pathOf = (c: UnifiedNamespaceChange) => ('path' in c ? c.path : c.action === 'delete' ? c.item.id : '');

describe('applySteps', () => {
  it("runs the seed's /data tree in one step per depth, then its fixes together", () => {
    const plan = ['/data', '/data/media', '/data/torrents', '/data/media/tv', '/data/media/movies', '/data/torrents/tv'].map(create);
    const steps = applySteps([...plan, chown('/data/media'), chmod('/data/media'), chmod('/data/torrents'), remove('/data/old/x'), remove('/data/old')]);
    expect(steps.map((s) => s.map((c) => `${c.action} ${pathOf(c)}`))).toEqual([
      ['create /data'],
      ['create /data/media', 'create /data/torrents'],
      ['create /data/media/tv', 'create /data/media/movies', 'create /data/torrents/tv'],
      ['chown /data/media'],
      ['chmod /data/media', 'chmod /data/torrents'],
      ['delete /data/old/x'],
      ['delete /data/old'],
    ]);
  });

  it('keeps plan order, never creates a folder with its parent, never touches a folder twice at once (property)', () => {
    const segment = fc.constantFrom('a', 'b', 'c');
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
    const change = fc.tuple(fc.constantFrom(create, chmod, chown, remove), path).map(([make, p]) => make(p));
    fc.assert(
      fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
        // A plan creates parents first: order the creates by depth, as the planner does.
        const plan = [...changes].sort((a, b) => Number(b.action === 'create') - Number(a.action === 'create') || pathOf(a).split('/').length - pathOf(b).split('/').length);
        const steps = applySteps(plan);
        expect(steps.flat()).toEqual(plan);
        for (const step of steps) {
          const paths = step.map(pathOf);
          expect(new Set(paths).size).toBe(paths.length);
          // A folder is never created with its parent (a fix of a parent beside a fix of its child is fine: each acts on its own inode).
          const created = step.filter((c) => c.action === 'create').map(pathOf);
          for (const p of created) expect(created.some((q) => q !== p && p.startsWith(`${q}/`))).toBe(false);
          if (step.length > 1) {
            const kinds = new Set(step.map((c) => (c.action === 'create' ? 'create' : c.action === 'chown' || c.action === 'chmod' ? 'fix' : c.action)));
            expect(kinds.size).toBe(1);
            expect(['create', 'fix']).toContain([...kinds][0]);
          }
        }
      }),
    );
  });
});
