/**
 * A ManifestSource (the built one, from dist/) in a process of its own, for tests that bound its memory:
 * `node source-child.mjs DIR`. Prints `ready` once started; then, at the first snapshot with an error, prints
 * one JSON line `{ resources, errors }` (keys and formatted errors) and exits.
 */
import { formatManifestError, ManifestSource } from '../../dist/controller/manifests/index.js';

const source = new ManifestSource(process.argv[2], { rescanMs: 0 });
source.onSnapshot(async (snapshot) => {
  if (snapshot.errors.length === 0) return;
  process.stdout.write(JSON.stringify({ resources: [...snapshot.resources.keys()], errors: snapshot.errors.map(formatManifestError) }) + '\n');
  await source.close();
  process.exit(0);
});
await source.start();
process.stdout.write('ready\n');
