import { describe, expect, it } from 'vitest';
import { formatManifestError, parseManifestFile, unreadableFile, type ManifestErrorCode } from '../../controller/manifests/index.js';

const KINDS = 'Host, LxcDevice, Notifier, StorageKeepalive, UnifiedNamespace, VpnSidecar';

function errorsOf(text: string, file = 'lab/disks.yaml'): string[] {
  return parseManifestFile(file, text).errors.map(formatManifestError);
}

describe('parseManifestFile errors point at the offending node', () => {
  it('unknown kind: at the kind value', () => {
    const text = ['apiVersion: homeostat.dev/v1alpha1', 'kind: Deployment', 'metadata: { name: web }', 'spec: {}'].join('\n');
    expect(errorsOf(text)).toEqual([
      `lab/disks.yaml:2:7 Deployment/web: kind: unknown kind "Deployment" (known kinds: ${KINDS})`,
    ]);
  });

  it('missing kind: at the document, without a ref', () => {
    expect(errorsOf('# a comment\napiVersion: homeostat.dev/v1alpha1\nmetadata: { name: x }\n')).toEqual([
      `lab/disks.yaml:2:1: kind: required field missing (known kinds: ${KINDS})`,
    ]);
  });

  it('unknown field: at its key, listing the known ones', () => {
    const text = [
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: StorageKeepalive',
      'metadata:',
      '  name: hdd',
      'spec:',
      '  path: /mnt/hdd',
      '  bogus: 1',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'lab/disks.yaml:7:3 StorageKeepalive/hdd: spec.bogus: unknown field ' +
        '(known fields: host, path, interval, method, mode, requireMountpoint, file, slowThreshold)',
    ]);
  });

  it('wrong type: at the value, with a hint to quote', () => {
    const text = [
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: LxcDevice',
      'metadata: { name: media }',
      'spec:',
      '  container: 100',
      '  devices: [{ preset: tun }]',
      '  gid: "104"',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'lab/disks.yaml:5:14 LxcDevice/media: spec.container: must be a string, got 100 (put it in quotes)',
      'lab/disks.yaml:7:8 LxcDevice/media: spec.gid: must be an integer, got "104"',
    ]);
  });

  it('missing field: at the key of the object that lacks it', () => {
    const text = [
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: Host',
      'metadata: { name: pve }',
      'spec:',
      '  ssh:',
      '    port: 2222',
    ].join('\n');
    expect(errorsOf(text)).toEqual(['lab/disks.yaml:5:3 Host/pve: spec.ssh.address: required field missing']);
    expect(errorsOf('apiVersion: homeostat.dev/v1alpha1\nkind: StorageKeepalive\nmetadata: { name: hdd }\nspec:\n  host: pve\n')).toEqual([
      'lab/disks.yaml:4:1 StorageKeepalive/hdd: spec.path: required field missing',
    ]);
  });

  it('pattern, enum and wrong apiVersion', () => {
    const text = [
      'apiVersion: homeostat.dev/v1',
      'kind: StorageKeepalive',
      'metadata: { name: hdd }',
      'spec: { path: /mnt/hdd, interval: 5 min, method: fsync }',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'lab/disks.yaml:1:13 StorageKeepalive/hdd: apiVersion: must be homeostat.dev/v1alpha1 (got "homeostat.dev/v1")',
      'lab/disks.yaml:4:35 StorageKeepalive/hdd: spec.interval: must match pattern ^[0-9]+(ms|s|m|h)$ (got "5 min") - ' +
        'Time between heartbeats, a number with a unit (ms, s, m or h), e.g. 30s or 5m; from 1s to 24h.',
      'lab/disks.yaml:4:50 StorageKeepalive/hdd: spec.method: must be one of write-fsync, touch (got "fsync")',
    ]);
  });

  it('YAML syntax error: at its position, and the other documents still parse', () => {
    const text = [
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: StorageKeepalive',
      'metadata: { name: hdd }',
      'spec: { path: /mnt/hdd }',
      '---',
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: StorageKeepalive',
      'metadata:',
      '  name: ssd',
      ' spec: {}',
    ].join('\n');
    const { resources, errors } = parseManifestFile('lab/disks.yaml', text);
    expect(errors.map(formatManifestError)).toEqual([
      'lab/disks.yaml:10:1: YAML syntax error: All mapping items must start at the same column',
    ]);
    expect(resources.map((r) => r.metadata.name)).toEqual(['hdd']);
  });

  it('a key written twice: a YAML error at the second one', () => {
    const text = keepaliveDoc('hdd', '/mnt/a', '  path: /mnt/b');
    expect(errorsOf(text)).toEqual(['lab/disks.yaml:7:3: YAML syntax error: Map keys must be unique']);
  });

  it('a list item that sets both or neither of preset and path', () => {
    const text = [
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: LxcDevice',
      'metadata: { name: media }',
      'spec:',
      '  container: "100"',
      '  devices:',
      '    - { preset: tun, path: /dev/net/tun }',
      '    - optional: true',
      '    - path: /dev/../etc/passwd',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'lab/disks.yaml:7:7 LxcDevice/media: spec.devices[0]: set exactly one of preset, path',
      'lab/disks.yaml:8:7 LxcDevice/media: spec.devices[1]: set exactly one of preset, path',
      expect.stringMatching(/^lab\/disks\.yaml:9:13 LxcDevice\/media: spec\.devices\[2\]\.path: must match pattern .* \(got "\/dev\/\.\.\/etc\/passwd"\) - Any character or block device/),
    ]);
  });

  it('annotation keys with dots and slashes are quoted in the field path', () => {
    const text = [
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: StorageKeepalive',
      'metadata:',
      '  name: hdd',
      '  annotations:',
      '    homeostat.dev/suspend: true',
      'spec: { path: /mnt/hdd }',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'lab/disks.yaml:6:28 StorageKeepalive/hdd: metadata.annotations["homeostat.dev/suspend"]: must be a string, got true (put it in quotes)',
    ]);
  });

  it('positions in later documents count from the start of the file', () => {
    const text = [
      keepaliveDoc('a', '/mnt/a'),
      '---',
      '# second',
      keepaliveDoc('b', 'relative/path'),
    ].join('\n');
    expect(errorsOf(text, 'x.yml')).toEqual([
      expect.stringMatching(/^x\.yml:14:9 StorageKeepalive\/b: spec\.path: must match pattern /),
    ]);
  });

  it('a document that is not a mapping', () => {
    expect(errorsOf('- just\n- a list\n')).toEqual([
      'lab/disks.yaml:1:1: a manifest document must be a mapping of apiVersion, kind, metadata and spec',
    ]);
  });

  it('the same identity twice in one file: both left out, each error naming the other', () => {
    const text = [keepaliveDoc('hdd', '/mnt/a'), '---', keepaliveDoc('hdd', '/mnt/b')].join('\n');
    const { resources, errors } = parseManifestFile('disks.yaml', text);
    expect(resources).toEqual([]);
    expect(errors.map(formatManifestError)).toEqual([
      'disks.yaml:1:1 StorageKeepalive/hdd: duplicate: also defined at disks.yaml:8:1; neither applies',
      'disks.yaml:8:1 StorageKeepalive/hdd: duplicate: also defined at disks.yaml:1:1; neither applies',
    ]);
  });
});

describe('ManifestError codes say what kind of problem each is', () => {
  const codesOf = (text: string): ManifestErrorCode[] => parseManifestFile('x.yaml', text).errors.map((e) => e.code);
  const doc = (kind: string, spec: string) => ['apiVersion: homeostat.dev/v1alpha1', `kind: ${kind}`, 'metadata: { name: a }', spec].join('\n');

  it('one code per problem, beside the location (the printed form is unchanged)', () => {
    expect(codesOf('key: [unclosed\n')).toEqual(['YamlSyntax']);
    expect(codesOf(keepaliveDoc('hdd', '/mnt/a', '  path: /mnt/b'))).toEqual(['YamlSyntax']);
    expect(codesOf('- just\n- a list\n')).toEqual(['NotAMapping']);
    expect(codesOf('apiVersion: homeostat.dev/v1alpha1\nmetadata: { name: x }\n')).toEqual(['MissingField']);
    expect(codesOf(doc('Deployment', 'spec: {}'))).toEqual(['UnknownKind']);
    expect(codesOf(doc('StorageKeepalive', 'spec: {}'))).toEqual(['MissingField']);
    expect(codesOf(doc('StorageKeepalive', 'spec: { path: /mnt/a, bogus: 1 }'))).toEqual(['UnknownField']);
    expect(codesOf(doc('StorageKeepalive', 'spec: { path: /mnt/a, interval: soon, method: fsync }'))).toEqual(['SchemaViolation', 'SchemaViolation']);
    expect(codesOf([keepaliveDoc('hdd', '/mnt/a'), '---', keepaliveDoc('hdd', '/mnt/b')].join('\n'))).toEqual(['DuplicateIdentity', 'DuplicateIdentity']);
    const [missing] = parseManifestFile('x.yaml', doc('StorageKeepalive', 'spec: {}')).errors;
    expect(missing).toMatchObject({ code: 'MissingField', file: 'x.yaml', line: 4, ref: 'StorageKeepalive/a' });
    expect(formatManifestError(missing!)).toBe('x.yaml:4:1 StorageKeepalive/a: spec.path: required field missing');
  });

  it('a file that cannot be read is Unreadable, at 1:1', () => {
    const error = unreadableFile('gone.yaml', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    expect(error).toEqual({ code: 'Unreadable', file: 'gone.yaml', line: 1, col: 1, message: 'cannot read: EACCES: permission denied' });
    expect(formatManifestError(error)).toBe('gone.yaml:1:1: cannot read: EACCES: permission denied');
  });
});

describe('parseManifestFile resources', () => {
  it('fills in every default and records where the document starts', () => {
    const text = `# disks\n---\n${keepaliveDoc('hdd', '/mnt/hdd')}\n---\n# nothing here\n---\n`;
    const { resources, errors } = parseManifestFile('disks.yaml', text);
    expect(errors).toEqual([]);
    expect(resources).toEqual([
      {
        apiVersion: 'homeostat.dev/v1alpha1',
        kind: 'StorageKeepalive',
        metadata: { name: 'hdd', labels: {}, annotations: {} },
        spec: {
          host: 'local',
          path: '/mnt/hdd',
          interval: '5m',
          method: 'write-fsync',
          mode: 'controller',
          requireMountpoint: true,
          file: '.homeostat-keepalive',
          slowThreshold: '2s',
        },
        source: { file: 'disks.yaml', line: 3, col: 1 },
        generation: expect.stringMatching(/^[0-9a-f]{12}$/),
      },
    ]);
  });

  it('fills in defaults inside optional objects and defaulted objects', () => {
    const text = [
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: Host',
      'metadata: { name: pve }',
      'spec: { ssh: { address: 192.168.1.10 } }',
      '---',
      'apiVersion: homeostat.dev/v1alpha1',
      'kind: VpnSidecar',
      'metadata: { name: media-vpn }',
      'spec:',
      '  gateway: { name: gluetun, image: "qmcgaw/gluetun:v3.40.0" }',
      '  dependents:',
      '    - name: qbittorrent',
      '      image: lscr.io/linuxserver/qbittorrent:latest',
      '      portForwarding: { qbittorrent: { url: "http://127.0.0.1:8080", password: { file: /etc/qbt } } }',
    ].join('\n');
    const { resources, errors } = parseManifestFile('lab.yaml', text);
    expect(errors).toEqual([]);
    expect(resources[0]!.spec).toEqual({
      platform: 'proxmox',
      root: '/',
      ssh: { address: '192.168.1.10', port: 22, user: 'root', agent: false, trustOnFirstUse: false },
    });
    expect(resources[1]!.spec).toEqual({
      host: 'local',
      adopt: false,
      gateway: { name: 'gluetun', image: 'qmcgaw/gluetun:v3.40.0', env: {}, secretEnv: {}, controlServer: { port: 8000 } },
      dependents: [
        {
          name: 'qbittorrent',
          image: 'lscr.io/linuxserver/qbittorrent:latest',
          env: {},
          secretEnv: {},
          volumes: [],
          ports: [],
          portForwarding: { qbittorrent: { url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '/etc/qbt' } } },
        },
      ],
    });
  });

  it('an empty or comment-only file has no resources and no errors', () => {
    expect(parseManifestFile('a.yaml', '')).toMatchObject({ resources: [], errors: [] });
    expect(parseManifestFile('a.yaml', '# nothing yet\n---\n---\n')).toMatchObject({ resources: [], errors: [] });
  });
});

describe('generation', () => {
  const generation = (text: string) => {
    const { resources, errors } = parseManifestFile('a.yaml', text);
    expect(errors).toEqual([]);
    return resources[0]!.generation;
  };
  const base = generation(keepaliveDoc('hdd', '/mnt/hdd', '  interval: 30s\n  mode: cron'));

  it('is stable under key order, quoting, comments and spelled-out defaults', () => {
    const reordered = [
      'spec:',
      '  mode: "cron"   # the seed did it this way',
      "  interval: '30s'",
      '  path: /mnt/hdd',
      '  method: write-fsync',
      'metadata:',
      '  labels: { owner: me }',
      '  name: hdd',
      'kind: StorageKeepalive',
      'apiVersion: homeostat.dev/v1alpha1',
    ].join('\n');
    expect(generation(reordered)).toBe(base);
  });

  it('changes when the spec changes', () => {
    expect(generation(keepaliveDoc('hdd', '/mnt/hdd', '  interval: 31s\n  mode: cron'))).not.toBe(base);
    expect(generation(keepaliveDoc('hdd', '/mnt/hdd2', '  interval: 30s\n  mode: cron'))).not.toBe(base);
  });

  it('changes with homeostat.dev/* annotations only', () => {
    const annotated = (annotations: string) =>
      generation(
        keepaliveDoc('hdd', '/mnt/hdd', '  interval: 30s\n  mode: cron').replace(
          '  name: hdd',
          `  name: hdd\n  annotations: { ${annotations} }`,
        ),
      );
    expect(annotated('note: anything')).toBe(base);
    expect(annotated('"homeostat.dev/reconcile-at": "1"')).not.toBe(base);
    expect(annotated('"homeostat.dev/reconcile-at": "2"')).not.toBe(annotated('"homeostat.dev/reconcile-at": "1"'));
  });
});

function keepaliveDoc(name: string, path: string, extra = ''): string {
  return [
    'apiVersion: homeostat.dev/v1alpha1',
    'kind: StorageKeepalive',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  path: ${path}`,
    ...(extra ? [extra] : []),
  ].join('\n');
}

describe('error lines stay one clean line whatever the manifest holds', () => {
  it('control, bidirectional and zero-width characters and lone surrogates are escaped; long messages are cut', () => {
    const text = 'apiVersion: homeostat.dev/v1alpha1\nkind: "Storage\\u202eKeepalive\\nX"\nmetadata: { name: "a\\u200bb" }\n';
    const [line] = parseManifestFile('x.yaml', text).errors.map(formatManifestError);
    expect(line).toBe(
      'x.yaml:2:7: kind: unknown kind "Storage\\u{202e}Keepalive\\nX" (known kinds: Host, LxcDevice, Notifier, StorageKeepalive, UnifiedNamespace, VpnSidecar)',
    );
    const long = formatManifestError({ code: 'YamlSyntax', file: 'x.yaml', line: 1, col: 1, message: `${'\u0000'.repeat(300)}` });
    expect(long).toMatch(/^x\.yaml:1:1: (\\u\{0000\}){125}… \(1400 more characters\)$/);
    expect(formatManifestError({ code: 'YamlSyntax', file: 'x.yaml', line: 1, col: 1, message: 'a\ud800b' })).toBe('x.yaml:1:1: a\\u{d800}b');
  });
});
