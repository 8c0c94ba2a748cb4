/**
 * The reading half of `homeostat import host`: what is on a Host, through the Host API only (reads, stats,
 * listings; `stat -f` of /sys/fs/cgroup on plain LXC; Docker inspections), never a write. Container configs become
 * LxcDevice documents (lxc-device.ts), cron lines StorageKeepalive documents (keepalive.ts), `/data`-like trees
 * UnifiedNamespace documents (unified-namespace-survey.ts), and running `container:` groups VpnSidecar documents
 * (vpn-sidecar-containers.ts).
 */
import { errorMessage } from '../../reconcilers/core/problem.js';
import { isHostError, type Host } from '../../reconcilers/host/index.js';
import { deviceCgroupKey, PRESETS, resolveDevices } from '../../reconcilers/lxc-device/index.js';
import type { LxcDeviceSpec } from '../../reconcilers/lxc-device/spec.js';
import { CRON_DIR } from '../../reconcilers/storage-keepalive/index.js';
import type { CarriedLine, ImportedDocument, ImportResult } from './document.js';
import { listIfExists, readHostConfigs, type ReadHostConfig } from './host-configs.js';
import { cronLines, isKeepaliveLike, keepaliveDocument } from './keepalive.js';
import { deviceCandidates, entriesToResolve, lxcDeviceDocument, styleOf, type Resolved } from './lxc-device.js';
import { importUnifiedNamespaces } from './unified-namespace-survey.js';
import { importVpnSidecars } from './vpn-sidecar-containers.js';

/**
 * Everything homeostat can describe on `host`, as documents, and notes on what it read but cannot carry. The
 * container configs' device lines are read once the /data trees are: a bind mount of a tree its UnifiedNamespace
 * shares is carried, not listed.
 */
export async function importHost(host: Host): Promise<ImportResult> {
  const configs = readHostConfigs(host);
  const trees = configs.then((c) => importUnifiedNamespaces(host, c));
  const [devices, keepalives, namespaces, sidecars] = await Promise.all([
    Promise.all([configs, trees]).then(([c, t]) => importLxcDevices(host, c, t.carried)),
    importKeepalives(host),
    trees,
    importVpnSidecars(host),
  ]);
  return {
    documents: [...devices.documents, ...keepalives.documents, ...namespaces.documents, ...sidecars.documents],
    notes: [...devices.notes, ...keepalives.notes, ...namespaces.notes, ...sidecars.notes],
  };
}

async function importLxcDevices(host: Host, configs: readonly ReadHostConfig[], carried: readonly CarriedLine[]): Promise<ImportResult> {
  const documents: ImportedDocument[] = [];
  const notes: string[] = [];
  if (configs.length === 0) return { documents, notes };
  const quicksync = PRESETS['intel-quicksync']!.dir!;
  const driNodes = (await listIfExists(host, quicksync.path)).filter((n) => quicksync.match.test(n)).map((n) => `${quicksync.path}/${n}`);
  const cgroupKey = await deviceCgroupKey(host);
  for (const config of configs) {
    const { location } = config;
    if ('error' in config) {
      notes.push(`${location.path}: not read (${errorMessage(config.error)})`);
      continue;
    }
    const { snapshot } = config;
    const style = styleOf(snapshot);
    const candidates = deviceCandidates(snapshot, driNodes);
    const resolved: Resolved[] = [];
    for (const entry of entriesToResolve(candidates)) {
      const spec: LxcDeviceSpec = { host: host.name, container: location.container, devices: [{ ...entry, optional: false }], restart: 'never', ...style };
      try {
        resolved.push({ entry, devices: await resolveDevices(spec, host) });
      } catch (err) {
        resolved.push({ entry, problem: errorMessage(err) });
      }
    }
    const carriedElsewhere = new Set(carried.filter((c) => c.configPath === location.path).map((c) => c.text));
    const { document, unexpressed } = lxcDeviceDocument({ host: host.name, snapshot, style, cgroupKey, candidates, resolved, carriedElsewhere });
    if (document) documents.push(document);
    notes.push(...unexpressed);
  }
  return { documents, notes };
}

/** run-parts (so cron) skips cron.d files with other characters; homeostat's own files are its resources already. */
const CRON_D_NAME = /^[A-Za-z0-9_-]+$/;

async function importKeepalives(host: Host): Promise<ImportResult> {
  const files: Array<{ path: string; system: boolean }> = [{ path: '/etc/crontab', system: true }];
  for (const name of await listIfExists(host, CRON_DIR)) {
    if (CRON_D_NAME.test(name) && !name.startsWith('homeostat-')) files.push({ path: `${CRON_DIR}/${name}`, system: true });
  }
  const spool = '/var/spool/cron/crontabs';
  for (const name of await listIfExists(host, spool)) files.push({ path: `${spool}/${name}`, system: false });

  const documents: ImportedDocument[] = [];
  const notes: string[] = [];
  for (const file of files) {
    let raw: Buffer | null;
    try {
      raw = await host.readFileIfExists(file.path);
    } catch (err) {
      if (isHostError(err, 'EACCES') || isHostError(err, 'EISDIR')) continue;
      throw err;
    }
    if (raw === null) continue;
    for (const line of cronLines(raw.toString('utf8'), file.system)) {
      const doc = keepaliveDocument(host.name, file.path, line);
      if (doc && !documents.some((d) => d.name === doc.name)) documents.push(doc);
      else if (isKeepaliveLike(line)) notes.push(`Not carried (left as it is), ${file.path} line ${line.lineNo}: ${line.text.trim()}`);
    }
  }
  return { documents, notes };
}
