import { describe, expect, it } from 'vitest';
import { imageRefProblem } from './image-ref.js';

describe('imageRefProblem', () => {
  it('accepts the references people write', () => {
    for (const ok of [
      'busybox',
      'qmcgaw/gluetun:v3.40.0',
      'lscr.io/linuxserver/qbittorrent:latest',
      'localhost:5000/a/b',
      '127.0.0.1:5000/homeostat-test/busybox:1',
      `alpine@sha256:${'a'.repeat(64)}`,
      `alpine:3.20@sha256:${'b'.repeat(64)}`,
      'homeostat-test/busybox:1',
    ]) {
      expect(imageRefProblem(ok), ok).toBeNull();
    }
  });

  it('says what is wrong', () => {
    expect(imageRefProblem('Busybox')).toBe('"Busybox": the repository name must be lowercase ("Busybox")');
    expect(imageRefProblem('qmcgaw/gluetun:')).toContain('the tag ""');
    expect(imageRefProblem('a b')).toContain('whitespace');
    expect(imageRefProblem('alpine@sha256:xyz')).toContain('digest');
    expect(imageRefProblem('a//b')).toContain('empty');
    expect(imageRefProblem('')).toBe('is empty');
    expect(imageRefProblem('a/-b')).toContain('not a repository name component');
  });
});
