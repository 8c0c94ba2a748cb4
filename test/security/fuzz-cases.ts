/**
 * Bad manifests, generated from a seed (the same seed gives the same cases): valid documents of every kind, broken
 * by one to three mutations each — wrong types, unknown fields, huge numbers, odd unicode (lone surrogates, RTL
 * overrides, zero-width and control characters, invalid UTF-8), duplicate keys, anchors and aliases, alias bombs,
 * deep nesting, truncation, a BOM, CRLF, tabs, multi-document streams with `---` and `...`, tags, directives and
 * over-long strings. Pure: bytes out, nothing written. Shared by the fuzz test and bench/fuzz-manifests.ts.
 */
import { seededRandom } from '../support/prng.js';

export interface FuzzCase {
  /** Names the mutations, e.g. `VpnSidecar+duplicateKey+crlf`. */
  name: string;
  bytes: Buffer;
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

/** One valid document per kind (the daemon would accept each; the mutations break them). */
const BASES: Record<string, (name: string) => string> = {
  StorageKeepalive: (name) =>
    `apiVersion: homeostat.dev/v1alpha1\nkind: StorageKeepalive\nmetadata:\n  name: ${name}\n  labels: { tier: cold }\nspec:\n  host: local\n  path: /mnt/${name}\n  interval: 5m\n  mode: cron\n  slowThreshold: 2s\n`,
  LxcDevice: (name) =>
    `apiVersion: homeostat.dev/v1alpha1\nkind: LxcDevice\nmetadata:\n  name: ${name}\nspec:\n  container: "100"\n  devices:\n    - preset: intel-quicksync\n    - path: /dev/ttyUSB0\n      optional: true\n`,
  UnifiedNamespace: (name) =>
    `apiVersion: homeostat.dev/v1alpha1\nkind: UnifiedNamespace\nmetadata:\n  name: ${name}\nspec:\n  root: /data/${name}\n  layout: trash\n  owner: { uid: 1000, gid: 1000 }\n  directories: [media, backups/photos]\n  shareInto:\n    - container: "101"\n      path: /data\n`,
  VpnSidecar: (name) =>
    `apiVersion: homeostat.dev/v1alpha1\nkind: VpnSidecar\nmetadata:\n  name: ${name}\nspec:\n  gateway:\n    name: gluetun-${name}\n    image: qmcgaw/gluetun:v3.40.0\n    env: { VPN_SERVICE_PROVIDER: protonvpn }\n    secretEnv:\n      WIREGUARD_PRIVATE_KEY: { file: /etc/homeostat/secrets/wg.key }\n    controlServer: { pollInterval: 15s }\n  dependents:\n    - name: qbittorrent-${name}\n      image: lscr.io/linuxserver/qbittorrent:latest\n      ports: ["8080:8080"]\n`,
  Host: (name) =>
    `apiVersion: homeostat.dev/v1alpha1\nkind: Host\nmetadata:\n  name: ${name}\nspec:\n  platform: lxc\n  root: /nonexistent/fuzz-root\n  ssh:\n    address: 192.0.2.1\n    user: root\n    knownHostsFile: /root/.ssh/known_hosts\n`,
};

const ODD = [
  '\\ud800', // a lone surrogate, as a YAML escape
  '\u202e', // right-to-left override
  '\u200b', // zero-width space
  '\u200d\u200c', // zero-width joiners
  '\ufeff', // a BOM in the middle
  '\u0000', // NUL
  '\u0085', // NEL (a YAML line break)
  '\u2028', // line separator
  '\u001b[31m', // an ANSI escape
  '\u0301\u0301\u0301', // combining marks
  '\ud83d\ude00', // an emoji (a surrogate pair)
  '\ud800', // a raw lone surrogate (written as U+FFFD by UTF-8 encoding)
  'é', // fine on its own
];

const HUGE_NUMBERS = ['1e400', '-1e400', '99999999999999999999999', '0x7fffffffffffffffff', '.inf', '-.inf', '.nan', '-0', '1_000', '0o777777777777777777', '1.7976931348623157e309'];
const WRONG_VALUES = ['42', 'true', 'null', '~', '[]', '{}', '[1, [2, [3]]]', '{ a: b }', '""', "''", '!!binary aGVsbG8=', '2024-01-01', '1.5', '-1'];

type Mutation = (text: string, random: Random) => string;

/** Lines of `text` that hold `key: value` (the places most mutations act on). */
function valueLines(text: string): number[] {
  return text.split('\n').flatMap((line, i) => (/^\s*(- )?[\w"]+:\s*\S/.test(line) ? [i] : []));
}

function onALine(text: string, random: Random, change: (line: string) => string): string {
  const lines = text.split('\n');
  const candidates = valueLines(text);
  if (candidates.length === 0) return text;
  const i = pick(random, candidates);
  lines[i] = change(lines[i]!);
  return lines.join('\n');
}

const replaceValue = (line: string, value: string) => line.replace(/:\s.*$/, `: ${value}`);

const MUTATIONS: Record<string, Mutation> = {
  wrongType: (t, r) => onALine(t, r, (line) => replaceValue(line, pick(r, WRONG_VALUES))),
  unknownField: (t, r) => onALine(t, r, (line) => `${line}\n${line.match(/^\s*/)![0]}${pick(r, ['bogus', '__proto__', 'constructor', 'Spec', 'spec ', '"kind\u200b"'])}: ${pick(r, ['x', '1', '{}'])}`),
  hugeNumber: (t, r) => onALine(t, r, (line) => replaceValue(line, pick(r, HUGE_NUMBERS))),
  oddUnicodeValue: (t, r) => onALine(t, r, (line) => replaceValue(line, `"${pick(r, ['', 'a', 'media'])}${pick(r, ODD)}${pick(r, ['', 'z'])}"`)),
  oddUnicodeRaw: (t, r) => {
    const at = int(r, 0, t.length);
    return t.slice(0, at) + pick(r, ODD.filter((c) => !c.startsWith('\\'))) + t.slice(at);
  },
  oddUnicodeKey: (t, r) => onALine(t, r, (line) => line.replace(/(\w)(\w*):/, `$1${pick(r, ODD.filter((c) => !c.startsWith('\\')))}$2:`)),
  duplicateKey: (t, r) => onALine(t, r, (line) => `${line}\n${line}`),
  duplicateTopKey: (t) => `${t}kind: Host\n`,
  anchorAlias: (t, r) => onALine(t, r, (line) => line.replace(/:\s(.*)$/, `: &a $1`)) + pick(r, ['x: *a\n', 'metadata: *a\n', 'spec: { <<: *a }\n', 'y: *nope\n']),
  aliasBomb: (t, r) => {
    const depth = int(r, 3, 9);
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < depth; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    return `${t}bomb:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
  },
  deepFlow: (t, r) => {
    const n = pick(r, [65, 200, 1_000, 5_000, 50_000]);
    return onALine(t, r, (line) => replaceValue(line, `${'['.repeat(n)}${r() < 0.5 ? ']'.repeat(n) : ''}`));
  },
  deepBlock: (t, r) => {
    const n = pick(r, [65, 300, 1_000]);
    return `${t}deep:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} v\n`;
  },
  deepSequence: (t, r) => `${t}deep: ${'- '.repeat(pick(r, [70, 500, 20_000]))}x\n`,
  truncate: (t, r) => t.slice(0, int(r, 1, Math.max(1, t.length - 1))),
  truncateInQuote: (t, r) => onALine(t, r, (line) => replaceValue(line, `"unterminated ${pick(r, ODD)}`)),
  bom: (t) => `\ufeff${t}`,
  crlf: (t) => t.replaceAll('\n', '\r\n'),
  loneCr: (t) => t.replaceAll('\n', '\r'),
  tabs: (t, r) => (r() < 0.5 ? t.replace(/\n {2}/g, '\n\t') : t.replace(/: /, ':\t')),
  multiDoc: (t, r) => pick(r, [`---\n${t}---\n${t}`, `${t}...\n${t}`, `${t}---\n...\n---\n`, `--- |\n  text\n${t}`, `...\n${t}`, `${t}\n--- !!map\n`]),
  directive: (t, r) => `${pick(r, ['%YAML 1.1\n---\n', '%YAML 9.9\n---\n', '%TAG ! tag:evil.example,2000:\n---\n', '%FOO bar\n---\n'])}${t}`,
  tag: (t, r) => onALine(t, r, (line) => line.replace(/:\s(.*)$/, `: ${pick(r, ['!!binary', '!!set', '!!omap', '!!js/function', '!custom', '!!int', '!!float', '!<tag:yaml.org,2002:str>'])} $1`)),
  longString: (t, r) => onALine(t, r, (line) => replaceValue(line, 'x'.repeat(pick(r, [254, 4_097, 40_000, 200_000])))),
  longKey: (t, r) => onALine(t, r, (line) => `${line}\n${line.match(/^\s*/)![0]}${'k'.repeat(pick(r, [300, 50_000]))}: v`),
  badDuration: (t, r) => `${t.replace(/interval: 5m/, `interval: ${pick(r, ['1ms', '0s', '999ms', '25h', '9999999999999h', '5 m', '-1s'])}`)}spec2: ~\n`,
  complexKey: (t, r) => `${t}${pick(r, ['? [a, b]\n: c\n', '? { a: b }\n: c\n', '[a]: b\n'])}`,
  manyDocuments: (t, r) => `${t}${'---\n'.repeat(pick(r, [1_001, 5_000]))}`,
  manyValues: (t, r) => `${t}many: [${'1,'.repeat(pick(r, [50_001, 100_000]))}]\n`,
  overByteLimit: (t) => `${t}# ${'x'.repeat(1_100_000)}\n`,
  notAMapping: (_t, r) => pick(r, ['just a string\n', '- a\n- b\n', '42\n', '[]\n', '|\n  block\n', '"quoted"\n']),
  binaryGarbage: (_t, r) => Buffer.from(Array.from({ length: int(r, 1, 2_000) }, () => int(r, 0, 255))).toString('latin1'),
  garbageInside: (t, r) => {
    const at = int(r, 0, t.length);
    return t.slice(0, at) + Array.from({ length: int(r, 1, 8) }, () => pick(r, ['{', '}', '[', ']', ':', '-', '?', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '#', ','])).join('') + t.slice(at);
  },
};

/** Mutations that produce invalid UTF-8 bytes: applied to the encoded bytes. */
function invalidUtf8(bytes: Buffer, random: Random): Buffer {
  const at = int(random, 0, bytes.length);
  const junk = Buffer.from(pick(random, [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]));
  return Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
}

const MUTATION_NAMES = Object.keys(MUTATIONS);
/** Costly ones (tens of thousands of values) are rarer, so that a run measures the common cases too. */
const RARE = new Set(['manyDocuments', 'manyValues', 'overByteLimit', 'deepSequence', 'longString', 'longKey']);

/** `count` cases from `seed`; case `i` names a resource `fuzz-<i>` so that cases do not collide by accident. */
export function generateBadManifests(count: number, seed = 9): FuzzCase[] {
  const random = seededRandom(seed);
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const kind = pick(random, Object.keys(BASES));
    const documents = random() < 0.2 ? 2 : 1;
    let text = Array.from({ length: documents }, (_, d) => BASES[pick(random, Object.keys(BASES))]!(`fuzz-${i}-${d}`)).join('---\n');
    if (documents === 1) text = BASES[kind]!(`fuzz-${i}`);
    const names: string[] = [];
    const mutations = int(random, 1, 3);
    for (let m = 0; m < mutations; m++) {
      let name = pick(random, MUTATION_NAMES);
      if (RARE.has(name) && random() < 0.8) name = pick(random, MUTATION_NAMES.filter((n) => !RARE.has(n)));
      text = MUTATIONS[name]!(text, random);
      names.push(name);
    }
    let bytes: Buffer = Buffer.from(text, 'utf8');
    if (random() < 0.05) {
      bytes = invalidUtf8(bytes, random);
      names.push('invalidUtf8');
    }
    cases.push({ name: [kind, ...names].join('+'), bytes });
  }
  return cases;
}
