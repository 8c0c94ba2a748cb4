/**
 * A container's lifecycle through the host's own tools, every command an argv: Proxmox `pct reboot|start|exec`,
 * plain LXC `lxc-stop|lxc-start|lxc-wait|lxc-attach`, always with `-P` naming the lxcpath configs are read from
 * (resolved through the Host, so a sandboxed host's containers are its own). Whether a container runs is not a
 * tool call per container: it comes from the host's shared reading of its running containers (running.ts),
 * forgotten after every action. Failures are retryable errors with a reason: `ContainerToolMissing`,
 * `ContainerCommandFailed`, `ContainerNotRunning`.
 */
import { RetryableError } from '../core/contract.js';
import { runTool, runToolChecked, toolFailure, type ContainerFailureReason } from './tool.js';
import type { Host, HostPlatform } from '../host/index.js';
import { DEFAULT_LXC_PATH } from './paths.js';
import { forgetRunningContainers, runningContainers } from './running.js';

const RESTART_TIMEOUT_MS = 180_000;
/** Seconds a clean shutdown may take before LXC kills the container. */
const STOP_TIMEOUT_S = '30';

export type { ContainerFailureReason } from './tool.js';

export interface ContainerState {
  running: boolean;
}

export interface ContainerTools {
  state(signal?: AbortSignal): Promise<ContainerState>;
  restart(signal?: AbortSignal): Promise<void>;
  start(signal?: AbortSignal): Promise<void>;
  /** True when `path` exists inside the running container (`test -e`); RetryableError when it stopped meanwhile. */
  exists(path: string, signal?: AbortSignal): Promise<boolean>;
  /** How a restart is done, for messages. */
  readonly restartCommand: string;
}

export function containerTools(host: Host, platform: HostPlatform, container: string): ContainerTools {
  return platform === 'proxmox' ? pctTools(host, container) : lxcTools(host, container);
}

/** Runs a tool of `container`'s, throwing on a non-zero exit. */
function checkedRunner(host: Host, container: string) {
  return (argv: string[], signal?: AbortSignal, timeoutMs?: number) => runToolChecked(host, argv, `container ${container}`, { signal, timeoutMs });
}

/** Whether `container` runs, from the host's shared reading (running.ts). */
async function stateOf(host: Host, platform: HostPlatform, container: string, signal?: AbortSignal): Promise<ContainerState> {
  signal?.throwIfAborted();
  return { running: (await runningContainers(host, platform)).has(container) };
}

/** Runs an action that changes whether containers run; the host's reading is forgotten before and after. */
async function changingState<T>(host: Host, platform: HostPlatform, action: () => Promise<T>): Promise<T> {
  forgetRunningContainers(host, platform);
  try {
    return await action();
  } finally {
    forgetRunningContainers(host, platform);
  }
}

function pctTools(host: Host, vmid: string): ContainerTools {
  const checked = checkedRunner(host, vmid);
  const state = (signal?: AbortSignal) => stateOf(host, 'proxmox', vmid, signal);
  return {
    restartCommand: `pct reboot ${vmid}`,
    state,
    async restart(signal) {
      await changingState(host, 'proxmox', () => checked(['pct', 'reboot', vmid], signal, RESTART_TIMEOUT_MS));
    },
    async start(signal) {
      await changingState(host, 'proxmox', () => checked(['pct', 'start', vmid], signal, RESTART_TIMEOUT_MS));
    },
    async exists(path, signal) {
      return testInside(host, 'proxmox', vmid, ['pct', 'exec', vmid, '--', 'test', '-e', path], state, signal);
    },
  };
}

function lxcTools(host: Host, name: string): ContainerTools {
  const lxcPath = host.resolvePath(DEFAULT_LXC_PATH);
  const tool = (program: string, ...args: string[]) => [program, '-P', lxcPath, '-n', name, ...args];
  const checked = checkedRunner(host, name);
  const state = (signal?: AbortSignal) => stateOf(host, 'lxc', name, signal);
  const start = async (signal?: AbortSignal) => {
    await checked(tool('lxc-start', '-d'), signal, RESTART_TIMEOUT_MS);
    await checked(tool('lxc-wait', '-s', 'RUNNING', '-t', '15'), signal, 30_000);
  };
  return {
    restartCommand: `lxc-stop + lxc-start -n ${name}`,
    state,
    start: (signal) => changingState(host, 'lxc', () => start(signal)),
    async restart(signal) {
      await changingState(host, 'lxc', async () => {
        if ((await state(signal)).running) {
          await checked(tool('lxc-stop', '-t', STOP_TIMEOUT_S), signal, RESTART_TIMEOUT_MS);
        }
        await start(signal);
      });
    },
    async exists(path, signal) {
      return testInside(host, 'lxc', name, tool('lxc-attach', '--', 'test', '-e', path), state, signal);
    },
  };
}

/**
 * `test -e` inside: 0 exists, 1 does not. But the tools also fail with 1 (`lxc-attach` on a stopped container)
 * or another code (`pct exec`): when the exit says more than `test` would (any error output, any other code),
 * the container is asked whether it still runs. Stopped meanwhile: `ContainerNotRunning` (the check needs it
 * running; retried). Running: a 1 is `test`'s answer, anything else `ContainerCommandFailed`.
 */
async function testInside(
  host: Host,
  platform: HostPlatform,
  container: string,
  argv: string[],
  state: (signal?: AbortSignal) => Promise<ContainerState>,
  signal?: AbortSignal,
): Promise<boolean> {
  const result = await runTool(host, argv, 'check inside the container', { signal, timeoutMs: 30_000 });
  if (result.code === 0) return true;
  if (result.code === 1 && result.stderr.trim() === '') return false;
  forgetRunningContainers(host, platform);
  if (!(await state(signal).catch(() => ({ running: true }))).running) {
    throw new RetryableError<ContainerFailureReason>(
      'ContainerNotRunning',
      `container ${container} on host ${host.name} is not running, so homeostat cannot check inside it (${argv[0]}); will look again`,
    );
  }
  if (result.code === 1) return false;
  throw toolFailure(host, argv, result);
}
