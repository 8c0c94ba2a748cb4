/**
 * Running a container tool on a host (pct, lxc-*), the one place its failures get their reasons: a tool that is not
 * installed is `ContainerToolMissing`, a non-zero exit `ContainerCommandFailed` with the end of its output; both
 * retryable.
 */
import { RetryableError } from '../core/errors.js';
import type { ExecResult, Host } from '../host/index.js';

export type ContainerFailureReason = 'ContainerToolMissing' | 'ContainerCommandFailed' | 'ContainerNotRunning';

export interface ToolOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Runs `argv`; any exit but 127 (not installed) is the caller's to read. `what` names the work in messages. */
export async function runTool(host: Host, argv: string[], what: string, opts: ToolOptions = {}): Promise<ExecResult> {
  const result = await host.exec(argv, opts);
  if (result.code === 127) throw new RetryableError<ContainerFailureReason>('ContainerToolMissing', `${what}: ${argv[0]} is not installed on host ${host.name}`);
  return result;
}

/** Runs `argv`, throwing ContainerCommandFailed on a non-zero exit. */
export async function runToolChecked(host: Host, argv: string[], what: string, opts: ToolOptions = {}): Promise<ExecResult> {
  const result = await runTool(host, argv, what, opts);
  if (result.code !== 0) throw toolFailure(host, argv, result);
  return result;
}

export function toolFailure(host: Host, argv: string[], result: ExecResult): RetryableError<ContainerFailureReason> {
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('; ');
  return new RetryableError('ContainerCommandFailed', `${argv.slice(0, 3).join(' ')} ... on host ${host.name} failed (exit ${result.code}): ${output}`);
}
