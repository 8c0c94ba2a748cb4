/**
 * Preload for test/cli/startup.test.ts (`node --import ./module-log.mjs homeostat ...`): appends to the file named by
 * HOMEOSTAT_MODULE_LOG every module the process loads, one path or URL a line: ES modules as the loader resolves
 * them (module-log-hooks.mjs, on the loader's thread), CommonJS ones (packages loaded with require or imported
 * from an ES module) from require.cache when the process exits.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.HOMEOSTAT_MODULE_LOG;
if (log) {
  register('./module-log-hooks.mjs', import.meta.url, { data: { log } });
  const { cache } = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(log, Object.keys(cache).map((path) => `${path}\n`).join('')));
}
