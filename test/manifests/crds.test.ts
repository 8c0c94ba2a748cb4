/** The CRDs themselves: structural, documented, strict, and their defaults and patterns mean what they say. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { defaultSchemas, findCrdDir, type SchemaNode } from '../../controller/manifests/index.js';
import { durationMs, durationOutOfBounds, MAX_TIMER_MS } from '../../reconcilers/core/duration.js';

const schemas = defaultSchemas();
const DURATION_PATTERN = '^[0-9]+(ms|s|m|h)$';
const KNOWN_KEYWORDS = new Set([
  'description', 'title', 'type', 'properties', 'additionalProperties', 'required', 'items', 'enum', 'default',
  'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'oneOf', 'x-homeostat-duration',
]);

/** Every schema node under `node`, with its path. */
function* nodes(node: SchemaNode, path: string): Generator<[string, SchemaNode]> {
  yield [path, node];
  for (const [name, child] of Object.entries(node.properties ?? {})) yield* nodes(child, `${path}.${name}`);
  if (node.items) yield* nodes(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') yield* nodes(node.additionalProperties, `${path}{}`);
}

describe.each(schemas.kinds)('the %s CRD', (kindName) => {
  const kind = schemas.get(kindName)!;
  const all = [...nodes(kind.schema, kindName)];

  it('documents, types and closes every node, with known keywords only', () => {
    for (const [path, node] of all) {
      expect(node.description, `${path} has a description`).toBeTruthy();
      expect(node.type, `${path} has a type`).toBeTruthy();
      if (node.properties) expect(node.additionalProperties, `${path} rejects unknown fields`).toBe(false);
      for (const keyword of Object.keys(node)) expect(KNOWN_KEYWORDS, `${path}: ${keyword}`).toContain(keyword);
    }
  });

  it('has defaults that pass their own schema, and patterns that compile as unicode regexps', () => {
    const ajv = new AjvModule.default({ strict: false });
    for (const [path, node] of all) {
      if (node.pattern) expect(() => new RegExp(node.pattern!, 'u'), path).not.toThrow();
      if (node.default !== undefined) {
        expect(ajv.validate(node, structuredClone(node.default)), `${path} default`).toBe(true);
      }
      for (const name of node.required ?? []) expect(node.properties, `${path} requires ${name}`).toHaveProperty(name);
    }
  });

  it('bounds every free string with a maxLength (an enum bounds itself), so no field can carry megabytes', () => {
    const strings = all.filter(([, node]) => node.type === 'string' && !node.enum);
    expect(strings.length).toBeGreaterThan(3);
    for (const [path, node] of strings) {
      expect(node.maxLength, `${path} has a maxLength`).toBeGreaterThan(0);
      expect(node.maxLength, `${path}: a sane bound`).toBeLessThanOrEqual(32_768);
    }
  });

  it('bounds every duration field: at least 100ms, at most what a timer can wait, through the one duration rule', () => {
    const durations = all.filter(([, node]) => node.pattern === DURATION_PATTERN);
    for (const [path, node] of durations) {
      const bounds = node['x-homeostat-duration'];
      expect(bounds, `${path} has duration bounds`).toBeDefined();
      expect(durationMs(bounds!.minimum!), `${path} minimum`).toBeGreaterThanOrEqual(100);
      expect(durationMs(bounds!.maximum!), `${path} maximum`).toBeLessThanOrEqual(MAX_TIMER_MS);
      if (node.default !== undefined) expect(durationOutOfBounds(String(node.default), bounds!), `${path} default`).toBeNull();
    }
  });

  it('shares the metadata schema, and (except Host, and Notifier, which acts on no host) has spec.host defaulting to local', () => {
    expect(kind.schema.properties!.metadata).toEqual(schemas.get('Host')!.schema.properties!.metadata);
    expect(kind.schema.properties!.apiVersion!.enum).toEqual(['homeostat.dev/v1alpha1']);
    expect(kind.schema.properties!.kind!.enum).toEqual([kindName]);
    const host = kind.schema.properties!.spec!.properties!.host;
    if (kindName === 'Host' || kindName === 'Notifier') expect(host).toBeUndefined();
    else expect(host).toMatchObject({ type: 'string', default: 'local' });
  });
});

describe('patterns', () => {
  const spec = (kind: string) => schemas.get(kind)!.schema.properties!.spec!.properties!;
  const matches = (node: SchemaNode | undefined, value: string) => new RegExp(node!.pattern!, 'u').test(value);

  it('StorageKeepalive.path: absolute, normalized, nothing a shell or cron would interpret', () => {
    const path = spec('StorageKeepalive').path;
    for (const ok of ['/mnt/hdd', '/mnt/usb-das_1', '/srv/.hidden/disk', '/a/..b']) expect(matches(path, ok), ok).toBe(true);
    for (const bad of ['/', 'mnt/hdd', '/mnt/../etc', '/mnt/./hdd', '/mnt//hdd', '/mnt/hdd/', '/mnt/my disk', "/mnt/it's",
      '/mnt/"x"', '/mnt/100%', '/mnt/$HOME', '/mnt/`id`', '/mnt/..']) {
      expect(matches(path, bad), bad).toBe(false);
    }
    // Linear time on a long near-miss (no catastrophic backtracking).
    const started = Date.now();
    matches(path, `/${'abcdefghij/'.repeat(200)}x y`);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('durations, file names, image references and ports', () => {
    for (const ok of ['0ms', '250ms', '30s', '5m', '2h']) expect(matches(spec('StorageKeepalive').interval, ok), ok).toBe(true);
    for (const bad of ['5', '5 m', '1d', '-1s', '1.5s']) expect(matches(spec('StorageKeepalive').interval, bad), bad).toBe(false);
    for (const bad of ['a/b', '.', '..', 'a b']) expect(matches(spec('StorageKeepalive').file, bad), bad).toBe(false);
    const image = spec('VpnSidecar').gateway!.properties!.image;
    for (const ok of ['busybox', 'qmcgaw/gluetun:v3.40.0', 'lscr.io/linuxserver/qbittorrent:latest', 'localhost:5000/a/b',
      `alpine@sha256:${'a'.repeat(64)}`]) {
      expect(matches(image, ok), ok).toBe(true);
    }
    for (const bad of ['Busybox', 'a b', 'qmcgaw/gluetun:', ':latest']) expect(matches(image, bad), bad).toBe(false);
    const ports = spec('VpnSidecar').dependents!.items!.properties!.ports!.items;
    for (const ok of ['8080:8080', '127.0.0.1:8080:8080', '6881:6881/udp', '6881-6889:6881-6889', '8080']) {
      expect(matches(ports, ok), ok).toBe(true);
    }
    const fingerprint = schemas.get('Host')!.schema.properties!.spec!.properties!.ssh!.properties!.hostKeyFingerprint;
    expect(matches(fingerprint, `SHA256:${'A'.repeat(43)}`)).toBe(true);
    expect(matches(fingerprint, 'MD5:aa:bb')).toBe(false);
  });

  it('UnifiedNamespace: root is not /, folders stay inside it', () => {
    const root = spec('UnifiedNamespace').root;
    expect(matches(root, '/data')).toBe(true);
    expect(matches(root, '/')).toBe(false);
    const folder = spec('UnifiedNamespace').directories!.items;
    for (const ok of ['backups', 'media/photos']) expect(matches(folder, ok), ok).toBe(true);
    for (const bad of ['/backups', '../x', 'a/../../x', 'a/', '']) expect(matches(folder, bad), bad).toBe(false);
  });
});

describe('durations in manifests', () => {
  const interval = (value: string) => {
    const kind = schemas.get('StorageKeepalive')!;
    const doc = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StorageKeepalive', metadata: { name: 'a' }, spec: { path: '/mnt/a', interval: value } };
    return kind.validate(doc) ? [] : (kind.validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message}`);
  };

  it('refuse an interval below the minimum or past the maximum, and one past what a timer can wait', () => {
    expect(interval('1ms')).toEqual(['/spec/interval: must be at least 1s']);
    expect(interval('999ms')).toEqual(['/spec/interval: must be at least 1s']);
    expect(interval('0s')).toEqual(['/spec/interval: must be at least 1s']);
    expect(interval('25h')).toEqual(['/spec/interval: must be at most 24h']);
    expect(interval('9999999999999h')).toEqual(['/spec/interval: must be at most 24h']);
    expect(interval('99999999999999999999h')).toContain('/spec/interval: must be at most 24h');
    for (const ok of ['1s', '1000ms', '30s', '5m', '24h']) expect(interval(ok), ok).toEqual([]);
  });
});

describe('findCrdDir', () => {
  it('finds the crds folder next to package.json, from the sources and from dist/', () => {
    const crds = findCrdDir();
    expect(readFileSync(join(crds, '..', 'package.json'), 'utf8')).toContain('"name": "homeostat"');
    const compiled = new URL('../../dist/controller/manifests/schema.js', import.meta.url).href;
    expect(findCrdDir(compiled)).toBe(crds);
  });
});
