import { describe, expect, it } from 'vitest';
import { declaredFolders, declaredRelativeFolders, isInside, TRASH_LAYOUT } from './layout.js';

describe('the trash layout', () => {
  it('is the TRaSH Guides tree: torrents, usenet (flat incomplete, sorted complete) and media, each by category', () => {
    expect(declaredRelativeFolders({ layout: 'trash', directories: [] })).toEqual([
      'media',
      'torrents',
      'usenet',
      'media/books',
      'media/movies',
      'media/music',
      'media/tv',
      'torrents/books',
      'torrents/movies',
      'torrents/music',
      'torrents/tv',
      'usenet/complete',
      'usenet/incomplete',
      'usenet/complete/books',
      'usenet/complete/movies',
      'usenet/complete/music',
      'usenet/complete/tv',
    ]);
    expect(TRASH_LAYOUT).toContain('usenet/incomplete');
  });

  it('adds directories with their parents, once, parents first; the root leads', () => {
    const folders = declaredFolders({ root: '/data', layout: 'none', directories: ['media/photos/2024', 'backups', 'media/photos'] });
    expect(folders.map((f) => f.path)).toEqual(['/data', '/data/backups', '/data/media', '/data/media/photos', '/data/media/photos/2024']);
    expect(folders[0]).toEqual({ rel: '', path: '/data' });
    expect(declaredRelativeFolders({ layout: 'trash', directories: ['media/movies', 'media'] })).toHaveLength(17);
  });

  it('isInside compares whole segments', () => {
    expect(isInside('/data', '/data')).toBe(true);
    expect(isInside('/data', '/data/x')).toBe(true);
    expect(isInside('/data', '/database')).toBe(false);
    expect(isInside('/', '/x')).toBe(true);
  });
});
