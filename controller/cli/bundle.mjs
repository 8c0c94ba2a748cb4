#!/usr/bin/env node
/**
 * Bundles the `homeostat` command (controller/cli/main.ts) into dist/bin/homeostat.js, the package's `bin`:
 * one file for what every start needs (commander and the command table) and one chunk per command, loaded by
 * the command's dynamic import (commands/index.ts), so a start reads a handful of files instead of hundreds of
 * modules. `npm run build` runs it before tsc (esbuild does not type-check: tsc still does, and still compiles
 * everything to dist/ for the tests and benchmarks), so a type error elsewhere never leaves a stale bundle.
 *
 * Packages stay external (loaded from node_modules when a chunk needs them) unless they are listed in BUNDLED:
 * native ones (better-sqlite3; ssh2 and its cpu-features), ones that find files beside themselves at run time
 * (pino's worker thread and pino-pretty, dockerode's gRPC .proto files), and ones loaded only when used (ssh2 and
 * dockerode: reconcilers/host/ssh-connection.ts and docker.ts require them with the first connection). BUNDLED are
 * pure-JS packages: commander and yaml on the fast paths (--help, validate, explain, get); xstate, prom-client and
 * chokidar for run, apply and diff (one chunk instead of a hundred files to resolve; measured ~40 ms less for diff).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT_DIR = join(ROOT, 'dist', 'bin');

/**
 * The YAML library's debugging switches, read from `process.env` once per token (LOG_TOKENS in its parser) and
 * per document part (LOG_STREAM in its composer): every `process.env` read is a call into the C++ environment
 * lookup, about a microsecond, and measured 15 % of parsing a manifest. The bundle fixes them off; a library
 * update that no longer reads them leaves the file as it is (and the build says so).
 */
const YAML_DEBUG_SWITCHES = [
  { file: /node_modules[\\/]yaml[\\/]dist[\\/]parse[\\/]parser\.js$/, read: 'node_process.env.LOG_TOKENS' },
  { file: /node_modules[\\/]yaml[\\/]dist[\\/]compose[\\/]composer\.js$/, read: 'node_process.env.LOG_STREAM' },
];

/** An esbuild plugin replacing each YAML_DEBUG_SWITCHES read by `false`. */
const yamlDebugSwitchesOff = {
  name: 'yaml-debug-switches-off',
  setup(build) {
    for (const { file, read } of YAML_DEBUG_SWITCHES) {
      build.onLoad({ filter: file }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes(read)) return { warnings: [{ text: `${read} is no longer in ${args.path}: nothing to switch off` }] };
        return { contents: text.replaceAll(read, 'false'), loader: 'js' };
      });
    }
  },
};

/** Packages bundled into the chunks; every other dependency is imported from node_modules at run time. */
const BUNDLED = new Set(['commander', 'yaml', 'xstate', 'prom-client', 'chokidar']);

/** Where the bundle is written: dist/bin/homeostat.js, its chunks under dist/bin/chunks/. */
export const BUNDLE_ENTRY = join(OUT_DIR, 'homeostat.js');
/** What went into the bundle (esbuild's metafile): test/support/built-cli.ts rebundles when an input is newer. */
export const BUNDLE_META = join(OUT_DIR, 'meta.json');
/** A chunk no build references any more is removed once it is this old (a process started before may still load it). */
const STALE_CHUNK_MS = 10 * 60_000;

/**
 * Builds the bundle. Safe while another process runs or rebuilds it: every file is written under a temporary
 * name and renamed into place, chunks (content-hashed names) before the entry file that imports them.
 */
export async function bundleCli() {
  const { dependencies = {} } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const external = Object.keys(dependencies).filter((name) => !BUNDLED.has(name));
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { homeostat: 'controller/cli/main.ts' },
    outdir: OUT_DIR,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(ROOT, 'tsconfig.json'),
    external,
    // CommonJS inside an ES module bundle (commander) calls `require` for Node's built-ins: give it one.
    banner: { js: "import { createRequire as __homeostatCreateRequire } from 'node:module'; const require = __homeostatCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    metafile: true,
    plugins: [yamlDebugSwitchesOff],
    write: false,
    logLevel: 'warning',
  });
  const entryLast = (a, b) => Number(a.path === BUNDLE_ENTRY) - Number(b.path === BUNDLE_ENTRY);
  const outputs = [...result.outputFiles].sort(entryLast);
  for (const file of outputs) writeAtomically(file.path, file.contents);
  writeAtomically(BUNDLE_META, JSON.stringify(result.metafile));
  removeStaleChunks(new Set(outputs.map((file) => file.path)));
  return result.metafile;
}

function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents, { mode: path === BUNDLE_ENTRY ? 0o755 : 0o644 });
  renameSync(temporary, path);
}

function removeStaleChunks(current) {
  const dir = join(OUT_DIR, 'chunks');
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!current.has(path) && Date.now() - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const metafile = await bundleCli();
  const files = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
  const kb = files.reduce((sum, [, out]) => sum + out.bytes, 0) / 1024;
  console.log(`bundled ${relative(ROOT, BUNDLE_ENTRY)} (${files.length} files, ${kb.toFixed(0)} KB)`);
}
