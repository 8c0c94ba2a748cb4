/**
 * kill -9 of the daemon at random moments while it applies, and what is left each time (shared by
 * test/faults/kill.test.ts and bench/kill-faults.ts). Each round flips the desired state (A ↔ B, see
 * kill-lab.ts), starts `homeostat run`, SIGKILLs it after a random delay (seeded, uniform up to about the time
 * it takes to converge), then checks, with the daemon dead:
 *
 * - the config: no torn line (every line is the person's or one homeostat writes; the person's lines all there,
 *   in order; a final newline) and no line of homeostat's twice;
 * - orphans: a config line of homeostat's that the inventory lacks; a container with a declared name that is
 *   neither in the inventory nor labelled as the resource's (labelled ones are found and recorded by the next
 *   run, and counted apart); a folder in the tree that the inventory lacks (deleting the resource would keep it);
 *
 * then runs `homeostat apply` once (timed; it must exit 0) and checks that everything is exactly the desired
 * state, recorded. At the end the managed resources are deleted: the config must be the person's bytes again,
 * and no container or folder of theirs left.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { testDocker } from '../support/docker.js';
import { seededRandom } from '../support/prng.js';
import { HUMAN_CONFIG } from '../support/pve-fixtures.js';
import { summarize } from '../support/stats.js';
import { sleep } from '../support/wait.js';
import { createKillLab, type DesiredSet, type KillLab } from './kill-lab.js';

export interface KillFaultsOptions {
  kills: number;
  seed?: number;
  /** Upper bound of the random delay before the kill; default: 1.2 × the time one flip takes to converge. */
  maxDelayMs?: number;
  log?: (line: string) => void;
}

export interface KillFaultsReport {
  kills: number;
  seed: number;
  maxDelayMs: number;
  /** Kills that landed before the daemon had converged (the state differed from the desired one). */
  killedMidApply: number;
  tornConfigs: number;
  duplicatedLines: number;
  orphanLines: number;
  orphanContainers: number;
  /** Containers labelled as the resource's but not yet in the inventory (the next run records them by label). */
  labelledNotRecorded: number;
  orphanFolders: number;
  convergedAfter: number;
  recoveryApplyMs: { median: number; p99: number; max: number };
  /** Deleting the resources at the end left the person's config bytes and nothing else. */
  finalPruneClean: boolean;
  /** The first problems seen, to read when a figure is not zero. */
  problems: string[];
}

const HUMAN_LINES = HUMAN_CONFIG.split('\n');
const mainSectionEnd = HUMAN_LINES.indexOf('');

interface Findings {
  torn: string[];
  duplicates: string[];
  orphanLines: string[];
  orphanContainers: string[];
  labelledNotRecorded: string[];
  orphanFolders: string[];
}

/** Homeostat's lines in the converged config of each desired state (learnt once, from a clean apply). */
type OwnLines = Record<DesiredSet, string[]>;

function ownLinesOf(conf: string): string[] {
  const original = new Set(HUMAN_LINES);
  return conf.split('\n').filter((l) => l !== '' && !original.has(l));
}

/**
 * Whether the config is the person's with exactly `lines` of homeostat's added, all in the main section (their
 * order there follows which resource wrote first, so it is not compared), or why not.
 */
function confProblem(conf: string, lines: string[]): string | null {
  const all = conf.split('\n');
  const end = all.indexOf('');
  const main = end === -1 ? all : all.slice(0, end);
  if (all.slice(end).join('\n') !== HUMAN_LINES.slice(mainSectionEnd).join('\n')) return 'the sections after the main one changed';
  const own = new Set([...lines]);
  if (main.filter((l) => !own.has(l)).join('\n') !== HUMAN_LINES.slice(0, mainSectionEnd).join('\n')) return "the person's main-section lines changed";
  const ours = main.filter((l) => own.has(l)).sort();
  return ours.join('\n') === [...lines].sort().join('\n') ? null : `homeostat's lines are ${JSON.stringify(ours)}, not ${JSON.stringify(lines)}`;
}

function folderTree(lab: KillLab): string[] {
  const out: string[] = [];
  const walk = (hostPath: string) => {
    let st;
    try {
      st = statSync(lab.real(hostPath));
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    out.push(hostPath);
    for (const entry of readdirSync(lab.real(hostPath))) walk(join(hostPath, entry));
  };
  walk('/data');
  return out;
}

async function ourContainers(docker: Docker, lab: KillLab): Promise<Docker.ContainerInfo[]> {
  const byName = await docker.listContainers({ all: true, filters: { name: [lab.suffix] } });
  const byLabel = await docker.listContainers({ all: true, filters: { label: [`dev.homeostat.owner=${lab.vpn.owner}`] } });
  const seen = new Map<string, Docker.ContainerInfo>();
  for (const c of [...byName, ...byLabel]) seen.set(c.Id, c);
  return [...seen.values()];
}

async function inspect(lab: KillLab, docker: Docker, own: OwnLines): Promise<Findings> {
  const f: Findings = { torn: [], duplicates: [], orphanLines: [], orphanContainers: [], labelledNotRecorded: [], orphanFolders: [] };
  const conf = lab.readConf();
  const lines = conf.split('\n');
  const known = new Set([...HUMAN_LINES, ...own.A, ...own.B]);
  if (!conf.endsWith('\n')) f.torn.push('the config does not end with a newline');
  for (const line of lines) if (!known.has(line)) f.torn.push(`unknown line ${JSON.stringify(line)}`);
  const theirs = lines.filter((l) => HUMAN_LINES.includes(l) && !own.A.includes(l) && !own.B.includes(l));
  if (theirs.join('\n') !== HUMAN_LINES.join('\n')) f.torn.push('the person\'s lines changed or moved');
  const ours = ownLinesOf(conf);
  for (const line of new Set(ours)) if (ours.filter((l) => l === line).length > 1) f.duplicates.push(line);

  const inventory = lab.inventory();
  const recordedLines = new Set(inventory.filter((i) => i.type === 'config-line').map((i) => i.id.slice(i.id.indexOf('#') + 1)));
  for (const line of new Set(ours)) if (!recordedLines.has(line)) f.orphanLines.push(line);

  const recordedContainers = new Set(inventory.filter((i) => i.type === 'container').map((i) => i.id));
  for (const c of await ourContainers(docker, lab)) {
    if (recordedContainers.has(c.Id)) continue;
    if (c.Labels['dev.homeostat.owner'] === lab.vpn.owner) f.labelledNotRecorded.push(`${c.Names[0]} ${c.Id.slice(0, 12)}`);
    else f.orphanContainers.push(`${c.Names[0]} ${c.Id.slice(0, 12)}`);
  }

  const recordedFolders = new Set(inventory.filter((i) => i.type === 'directory').map((i) => i.id));
  for (const folder of folderTree(lab)) if (!recordedFolders.has(folder)) f.orphanFolders.push(folder);
  return f;
}

/** The desired state `set` holds: config, folders, both containers running with its env, the app on the gateway. */
async function holds(lab: KillLab, docker: Docker, own: OwnLines, set: DesiredSet): Promise<string[]> {
  const problems: string[] = [];
  const conf = confProblem(lab.readConf(), own[set]);
  if (conf) problems.push(`config: ${conf}`);
  const folders = set === 'A' ? ['/data', '/data/media', '/data/media/movies'] : ['/data', '/data/media', '/data/media/movies', '/data/media/tv'];
  const tree = folderTree(lab);
  if (tree.sort().join() !== folders.sort().join()) problems.push(`folders are ${tree.join(', ')}`);
  try {
    const [gw, app] = await Promise.all([docker.getContainer(lab.vpn.gateway).inspect(), docker.getContainer(lab.vpn.app).inspect()]);
    if (!gw.State.Running || !app.State.Running) problems.push('a container is not running');
    if (app.HostConfig.NetworkMode !== `container:${gw.Id}`) problems.push('the app is not on the gateway');
    for (const c of [gw, app]) if (!(c.Config.Env ?? []).includes(`FAULT_SET=${set}`)) problems.push(`${c.Name} is not state ${set}'s`);
  } catch (err) {
    problems.push(`containers: ${(err as Error).message}`);
  }
  return problems;
}

export async function runKillFaults(opts: KillFaultsOptions): Promise<KillFaultsReport> {
  const seed = opts.seed ?? (Date.now() & 0xffff);
  const rand = seededRandom(seed);
  const log = opts.log ?? (() => undefined);
  const docker = testDocker();
  const lab = createKillLab();
  const problems: string[] = [];
  const note = (round: number, what: string, items: string[]) => {
    if (items.length > 0 && problems.length < 20) problems.push(`round ${round}: ${what}: ${items.join('; ')}`);
  };
  try {
    // Learn homeostat's lines for A and B from clean applies, and how long a flip takes to converge.
    const own: OwnLines = { A: [], B: [] };
    for (const set of ['A', 'B'] as const) {
      lab.desire(set);
      const r = lab.homeostat('apply');
      if (r.code !== 0) throw new Error(`calibration apply of state ${set} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
      own[set] = ownLinesOf(lab.readConf());
    }
    let maxDelayMs = opts.maxDelayMs;
    if (maxDelayMs === undefined) {
      lab.desire('A');
      const daemon = lab.startDaemon();
      const t0 = performance.now();
      const deadline = t0 + 60_000;
      while ((await holds(lab, docker, own, 'A')).length > 0 && performance.now() < deadline) await sleep(20);
      maxDelayMs = Math.round((performance.now() - t0) * 1.2);
      await daemon.kill();
    }
    let set: DesiredSet = 'A';
    const report: KillFaultsReport = {
      kills: 0, seed, maxDelayMs, killedMidApply: 0, tornConfigs: 0, duplicatedLines: 0, orphanLines: 0, orphanContainers: 0,
      labelledNotRecorded: 0, orphanFolders: 0, convergedAfter: 0, recoveryApplyMs: { median: 0, p99: 0, max: 0 }, finalPruneClean: false, problems,
    };
    const recoveries: number[] = [];
    for (let round = 1; round <= opts.kills; round++) {
      set = set === 'A' ? 'B' : 'A';
      lab.desire(set);
      const delay = Math.round(rand() * maxDelayMs);
      const daemon = lab.startDaemon();
      await sleep(delay);
      await daemon.kill();
      report.kills++;
      if ((await holds(lab, docker, own, set)).length > 0) report.killedMidApply++;

      const f = await inspect(lab, docker, own);
      if (f.torn.length > 0) report.tornConfigs++;
      report.duplicatedLines += f.duplicates.length;
      report.orphanLines += f.orphanLines.length;
      report.orphanContainers += f.orphanContainers.length;
      report.labelledNotRecorded += f.labelledNotRecorded.length;
      report.orphanFolders += f.orphanFolders.length;
      note(round, 'torn', f.torn);
      note(round, 'duplicated', f.duplicates);
      note(round, 'orphan lines', f.orphanLines);
      note(round, 'orphan containers', f.orphanContainers);
      note(round, 'orphan folders', f.orphanFolders);

      const recovery = lab.homeostat('apply');
      recoveries.push(recovery.ms);
      const after = await holds(lab, docker, own, set);
      const afterFindings = await inspect(lab, docker, own);
      const unrecorded = [...afterFindings.orphanLines, ...afterFindings.orphanContainers, ...afterFindings.labelledNotRecorded, ...afterFindings.orphanFolders];
      if (recovery.code === 0 && after.length === 0 && unrecorded.length === 0) report.convergedAfter++;
      else note(round, `apply after the kill (exit ${recovery.code})`, [...after, ...unrecorded, recovery.stderr.trim()].filter(Boolean));
      log(`round ${round}/${opts.kills}: state ${set}, killed after ${delay} ms, recovery apply ${Math.round(recovery.ms)} ms, exit ${recovery.code}`);
    }
    const { medianMs: median, p99Ms: p99, maxMs: max } = summarize(recoveries, 0);
    report.recoveryApplyMs = { median, p99, max };

    lab.deleteManaged();
    const prune = lab.homeostat('apply');
    const left = await ourContainers(docker, lab);
    report.finalPruneClean = prune.code === 0 && lab.readConf() === HUMAN_CONFIG && left.length === 0 && folderTree(lab).length === 0;
    if (!report.finalPruneClean) {
      problems.push(`final prune (exit ${prune.code}): config ${lab.readConf() === HUMAN_CONFIG ? 'restored' : 'differs'}, containers left ${left.length}, folders left ${folderTree(lab).join(', ')}; ${prune.stderr.trim()}`);
    }
    return report;
  } finally {
    await lab.cleanup();
  }
}
