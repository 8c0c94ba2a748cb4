/**
 * The scale benchmark's lab (test/support/scale-lab.ts) at a tiny scale, 3 CTs on each of 2 Hosts, through the same
 * builder and the built CLI, so the benchmark's setup cannot silently rot: `pct` over SSH is the stand-in with its
 * start-up delay on; `apply` from scratch makes every resource Ready and writes exactly the tun lines into every
 * config (mode kept), the cron file and the /data tree into every root; `diff` then has nothing to say; and `run`
 * from scratch reaches all Ready and stops cleanly on SIGTERM.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ResourceView } from '../../controller/status/views.js';
import { BUILT_CLI } from '../support/built-cli.js';
import { integration } from '../support/integration.js';
import { minimalPveConfig } from '../support/lxc.js';
import { createScaleLab, resourceCount, scaleLabAvailable, stopDaemon, TUN_LINES, vmidsOf, type ScaleLab } from '../support/scale-lab.js';
import { connectSsh, execSsh } from '../support/ssh-floor.js';

const built = integration('built CLI', existsSync(BUILT_CLI), 'run `npm run build` first (npm test does)');
const lab$ = integration('scale lab', scaleLabAvailable(), 'needs root (mknod, a uid-0 ssh user) and /usr/sbin/sshd');
const SHAPE = { containers: 3, hosts: 2 };

let lab: ScaleLab | undefined;
function theLab(): ScaleLab {
  if (!lab) throw new Error('the lab was not built');
  return lab;
}

beforeAll(async () => {
  if (built.available && lab$.available) lab = await createScaleLab(SHAPE);
});
afterAll(async () => lab?.cleanup());

/** Every config of every Host carries exactly the tun lines after its own, mode 0640; cron file and tree exist. */
function expectConverged(): void {
  for (const host of theLab().hosts) {
    for (const vmid of vmidsOf(SHAPE)) {
      const conf = join(host.root, `etc/pve/lxc/${vmid}.conf`);
      expect(readFileSync(conf, 'utf8')).toBe(`${minimalPveConfig(vmid)}${TUN_LINES.join('\n')}\n`);
      expect(statSync(conf).mode & 0o7777).toBe(0o640);
    }
    expect(readFileSync(join(host.root, `etc/cron.d/homeostat-hdd-${host.name}`), 'utf8')).toContain('/mnt/hdd');
    for (const folder of ['data/media/movies', 'data/torrents/tv', 'data/backups']) expect(statSync(join(host.root, folder)).isDirectory()).toBe(true);
  }
}

function expectAllReady(views: ResourceView[]): void {
  const ready = views.filter((v) => v.ready === 'True').map((v) => `${v.kind}/${v.name}`);
  expect(new Set(ready)).toEqual(new Set(theLab().keys));
  expect(theLab().keys).toHaveLength(resourceCount(SHAPE));
}

built.describe('the scale lab at 3 CTs × 2 Hosts', () => {
  lab$.it('pct over SSH is the stand-in on the Host root, with its start-up delay', async () => {
    const host = theLab().hosts[1]!;
    const client = await connectSsh(host.sshd);
    try {
      const t0 = performance.now();
      const status = await execSsh(client, `pct status ${vmidsOf(SHAPE)[2]}`);
      const ms = performance.now() - t0;
      expect(status).toEqual({ code: 0, stdout: 'status: stopped\n', stderr: '' });
      expect(ms).toBeGreaterThanOrEqual(300); // a lower bound: the delay is on, not a timing of homeostat
      const missing = await execSsh(client, 'pct status 999');
      expect(missing.code).toBe(2); // the stand-in reads this Host's root, where CT 999 has no config
    } finally {
      client.end();
    }
  });

  lab$.it('apply from scratch: every resource Ready, the lines in every config; diff then shows nothing', () => {
    theLab().reset();
    const apply = theLab().homeostat('apply');
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expectConverged();
    const get = theLab().homeostat('get', '-o', 'json');
    expectAllReady((JSON.parse(get.stdout) as { items: ResourceView[] }).items);
    const diff = theLab().homeostat('diff');
    expect(diff.stdout).toBe('no changes\n');
    expect(diff.code).toBe(0);
    expect(theLab().homeostat('apply').code).toBe(0);
  }, 120_000);

  lab$.it('run from scratch reaches all Ready through the HTTP API, then stops on SIGTERM', async () => {
    theLab().reset();
    const daemon = theLab().startDaemon();
    try {
      expectAllReady(await theLab().waitAllReady(daemon, 90_000));
      expectConverged();
    } finally {
      expect(await stopDaemon(daemon)).toBeNull(); // exited by itself (code 0), not killed
    }
    expect(daemon.child.exitCode).toBe(0);
  }, 120_000);
});
