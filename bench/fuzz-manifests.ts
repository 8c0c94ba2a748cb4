/**
 * Benchmark (figures, not a test): 10,000 generated bad manifests (test/security/fuzz-cases.ts) through
 * `validate` in process (timed per file), a sample through the built CLI, and all the rejected ones through a
 * running daemon keeping good resources converged in a sandbox root. Prints counts, errors by code, the longest
 * error line, the median/p99 validate time per file, crashes, prunes and writes outside the root.
 * `FUZZ_CASES`, `FUZZ_CLI_CASES` and `FUZZ_SEED` change the sizes and the seed.
 */
import { generateBadManifests } from '../test/security/fuzz-cases.js';
import { fuzzCli, fuzzDaemon, fuzzValidate } from '../test/security/fuzz-run.js';

export async function benchFuzzManifests(count = 10_000, cliCount = 300, seed = 9) {
  const cases = generateBadManifests(count, seed);
  const totalBytes = cases.reduce((sum, c) => sum + c.bytes.length, 0);
  const validate = await fuzzValidate(cases);
  const { rejectedIndexes, ...validateFigures } = validate;
  const cli = fuzzCli(cases.slice(0, cliCount));
  const daemon = await fuzzDaemon(rejectedIndexes.map((i) => cases[i]!), 100);
  return {
    seed,
    cases: count,
    meanBytesPerCase: Math.round(totalBytes / count),
    validate: { ...validateFigures, crashes: validateFigures.crashes.length, malformed: validateFigures.malformed.length, crashSamples: validateFigures.crashes.slice(0, 3) },
    cli: { ...cli, crashes: cli.crashes.length, malformed: cli.malformed.length, unreported: cli.unreported.length },
    daemon: {
      ...daemon,
      malformed: daemon.malformed.length,
      writesOutsideRoot: daemon.writesOutsideRoot.length,
      changesInsideRoot: daemon.changesInsideRoot.length,
      uncaught: daemon.uncaught.length,
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchFuzzManifests(
    Number(process.env.FUZZ_CASES ?? 10_000),
    Number(process.env.FUZZ_CLI_CASES ?? 300),
    Number(process.env.FUZZ_SEED ?? 9),
  );
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
}
