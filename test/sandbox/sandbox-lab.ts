/**
 * The quick tour's sandbox as `npm start` makes it, but in a temp folder: manifests/sandbox copied to
 * `<dir>/manifests/sandbox` (so the Host's `root: ../../.sandbox/root` lands on `<dir>/.sandbox/root`, never the
 * checkout's), the root seeded by the same `seedSandbox` `npm start` runs, and the Docker endpoint and images
 * swapped when a test says so (an unreachable socket, an image no registry has). `cleanup()` removes the folder.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedSandbox, type SandboxSeed } from '../../controller/cli/sandbox.js';

/** The checkout's manifests/sandbox. */
export const SANDBOX_MANIFESTS = fileURLToPath(new URL('../../manifests/sandbox', import.meta.url));
/** The Docker socket manifests/sandbox/host.yaml names. */
export const SANDBOX_DOCKER_SOCKET = '/var/run/docker.sock';

export interface SandboxLab {
  dir: string;
  manifests: string;
  state: string;
  root: string;
  seed: SandboxSeed;
  /** The real path of a host path in the sandbox root. */
  real(hostPath: string): string;
  cleanup(): void;
}

export interface SandboxLabOptions {
  /** Docker socket the sandbox Host uses instead of the machine's. */
  dockerSocket?: string;
  /** Replaces each image of vpn.yaml (`from` → `to`). */
  images?: Record<string, string>;
}

export function createSandboxLab(opts: SandboxLabOptions = {}): SandboxLab {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-sandbox-'));
  const manifests = join(dir, 'manifests', 'sandbox');
  mkdirSync(manifests, { recursive: true });
  for (const file of readdirSync(SANDBOX_MANIFESTS)) copyFileSync(join(SANDBOX_MANIFESTS, file), join(manifests, file));
  const rewrite = (file: string, from: string, to: string) => {
    const text = readFileSync(join(manifests, file), 'utf8');
    if (!text.includes(from)) throw new Error(`manifests/sandbox/${file} no longer says ${from}`);
    writeFileSync(join(manifests, file), text.replaceAll(from, to));
  };
  if (opts.dockerSocket) rewrite('host.yaml', `socketPath: ${SANDBOX_DOCKER_SOCKET}`, `socketPath: ${opts.dockerSocket}`);
  for (const [from, to] of Object.entries(opts.images ?? {})) rewrite('vpn.yaml', `image: ${from}`, `image: ${to}`);
  const root = join(dir, '.sandbox', 'root');
  const state = join(dir, '.sandbox', 'state');
  const seed = seedSandbox(root);
  return {
    dir,
    manifests,
    state,
    root,
    seed,
    real: (hostPath) => join(root, hostPath),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
