/**
 * The container's lifecycle through the host's own tools, every command an argv: Proxmox `pct status|reboot|
 * start|exec`, plain LXC `lxc-info|lxc-stop|lxc-start|lxc-wait|lxc-attach` with `-P` naming the lxcpath the
 * config was read from (so a sandboxed host's containers are its own).
 */
import type { Host } from '../host/host.js';
import { DEFAULT_LXC_PATH } from '../lxc-config/index.js';
import type { ContainerState } from './model.js';

const RESTART_TIMEOUT_MS = 180_000;
/** Seconds a clean shutdown may take before LXC kills the container. */
const STOP_TIMEOUT_S = '30';

export interface ContainerTools {
  state(signal?: AbortSignal): Promise<ContainerState>;
  restart(signal?: AbortSignal): Promise<void>;
  start(signal?: AbortSignal): Promise<void>;
  /** True when `path` exists inside the running container (`test -e`). */
  exists(path: string, signal?: AbortSignal): Promise<boolean>;
  /** How a restart is done, for messages. */
  readonly restartCommand: string;
}

export function containerTools(host: Host, platform: 'proxmox' | 'lxc', container: string): ContainerTools {
  return platform === 'proxmox' ? pctTools(host, container) : lxcTools(host, container);
}

async function run(host: Host, argv: string[], what: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}) {
  const result = await host.exec(argv, opts);
  if (result.code === 127) throw new Error(`${what}: ${argv[0]} is not installed on host ${host.name}`);
  return result;
}

function failure(host: Host, argv: string[], result: { code: number; stderr: string; stdout: string }): Error {
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('; ');
  return new Error(`${argv.slice(0, 3).join(' ')} ... on host ${host.name} failed (exit ${result.code}): ${output}`);
}

function pctTools(host: Host, vmid: string): ContainerTools {
  const checked = async (argv: string[], signal?: AbortSignal, timeoutMs?: number) => {
    const result = await run(host, argv, `container ${vmid}`, { signal, timeoutMs });
    if (result.code !== 0) throw failure(host, argv, result);
    return result;
  };
  return {
    restartCommand: `pct reboot ${vmid}`,
    async state(signal) {
      const { stdout } = await checked(['pct', 'status', vmid], signal);
      return { running: /^status:\s*running\b/m.test(stdout) };
    },
    async restart(signal) {
      await checked(['pct', 'reboot', vmid], signal, RESTART_TIMEOUT_MS);
    },
    async start(signal) {
      await checked(['pct', 'start', vmid], signal, RESTART_TIMEOUT_MS);
    },
    async exists(path, signal) {
      return testInside(host, ['pct', 'exec', vmid, '--', 'test', '-e', path], signal);
    },
  };
}

function lxcTools(host: Host, name: string): ContainerTools {
  const lxcPath = host.resolvePath(DEFAULT_LXC_PATH);
  const tool = (program: string, ...args: string[]) => [program, '-P', lxcPath, '-n', name, ...args];
  const checked = async (argv: string[], signal?: AbortSignal, timeoutMs?: number) => {
    const result = await run(host, argv, `container ${name}`, { signal, timeoutMs });
    if (result.code !== 0) throw failure(host, argv, result);
    return result;
  };
  const state = async (signal?: AbortSignal) => {
    const { stdout } = await checked(tool('lxc-info', '-s', '-H'), signal);
    return { running: stdout.trim() === 'RUNNING' };
  };
  const start = async (signal?: AbortSignal) => {
    await checked(tool('lxc-start', '-d'), signal, RESTART_TIMEOUT_MS);
    await checked(tool('lxc-wait', '-s', 'RUNNING', '-t', '15'), signal, 30_000);
  };
  return {
    restartCommand: `lxc-stop + lxc-start -n ${name}`,
    state,
    start,
    async restart(signal) {
      if ((await state(signal)).running) {
        await checked(tool('lxc-stop', '-t', STOP_TIMEOUT_S), signal, RESTART_TIMEOUT_MS);
      }
      await start(signal);
    },
    async exists(path, signal) {
      return testInside(host, tool('lxc-attach', '--', 'test', '-e', path), signal);
    },
  };
}

/** `test -e` inside: 0 exists, 1 does not; anything else (the container stopped meanwhile, ...) is an error. */
async function testInside(host: Host, argv: string[], signal?: AbortSignal): Promise<boolean> {
  const result = await run(host, argv, 'check inside the container', { signal, timeoutMs: 30_000 });
  if (result.code === 0) return true;
  if (result.code === 1) return false;
  throw failure(host, argv, result);
}
