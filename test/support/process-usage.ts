/**
 * What a process and this machine cost and hold, read from /proc, for benchmarks that report memory and CPU beside
 * their times: a process's resident memory (VmRSS) and its peak (VmHWM), the CPU time it has used (utime + stime),
 * and the machine the figures came from (cores, CPU model, RAM, load). Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

export interface ProcessMemory {
  /** Resident set size now, in MB (VmRSS). */
  rssMb: number;
  /** The highest resident set size so far, in MB (VmHWM). */
  hwmMb: number;
}

/** VmRSS and VmHWM of `pid`, from /proc/PID/status. */
export function memoryOf(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]);
  };
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`), the unit of /proc/PID/stat's times. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time `pid` has used so far (user + system), in ms, from /proc/PID/stat. */
export function cpuTimeMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, inside parentheses): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  ramGb: number;
  /** 1, 5 and 15 minute load averages when the figures were taken (others may share the machine). */
  loadAverage: number[];
  node: string;
}

export function machineFacts(): MachineFacts {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  return {
    cores: availableParallelism(),
    cpuModel: model,
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
  };
}
