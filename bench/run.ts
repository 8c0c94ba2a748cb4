/**
 * `npm run bench`: runs the benchmarks and prints their medians, p99s and ratios as JSON. Benchmarks are
 * measurements, not tests: nothing here passes or fails on a number. `BENCH_SAMPLES` sets the sample count.
 */
import { benchCliStartup } from './cli-startup.js';
import { benchFuzzManifests } from './fuzz-manifests.js';
import { benchKillFaults } from './kill-faults.js';
import { benchManifestToReady } from './manifest-to-ready.js';
import { benchScale } from './scale.js';
import { benchStoreDurability } from './store-durability.js';
import { benchSshRoot } from './ssh-root.js';
import { benchSymlinkRoot } from './symlink-root.js';
import { benchVpnHeal } from './vpn-heal.js';

const samples = Number(process.env.BENCH_SAMPLES ?? 40);
const results = {
  manifestToReady: await benchManifestToReady(samples),
  storeDurability: await benchStoreDurability(samples * 5),
  symlinkRoot: await benchSymlinkRoot(samples),
  sshRoot: await benchSshRoot(samples),
  vpnHeal: await benchVpnHeal(Math.max(5, Math.round(samples / 2))),
  killFaults: await benchKillFaults(),
  fuzzManifests: await benchFuzzManifests(),
  cliStartup: await benchCliStartup(samples),
  scale: await benchScale({ samples: Math.min(3, samples) }),
};
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
