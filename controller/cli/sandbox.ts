/**
 * `npm start` seeds the sandbox the demo manifests point at: `.sandbox/root` inside the checkout stands in
 * for `/` of the machine (the sandbox Host's `root`), so the controller never touches the real root.
 * Idempotent: it only creates folders that are missing.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.sandbox/root');
for (const dir of ['mnt/hdd', 'etc/cron.d', 'etc/pve/lxc', 'data']) mkdirSync(join(root, dir), { recursive: true });
process.stdout.write(`sandbox root ready: ${root}\n`);
