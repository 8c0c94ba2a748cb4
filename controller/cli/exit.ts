/**
 * How a command ends on an error it can name: `homeostat: MESSAGE` on stderr and an exit code (1 unless the
 * command's contract says otherwise, e.g. diff's 2).
 */
export function fail(message: string, code = 1): never {
  process.stderr.write(`homeostat: ${message}\n`);
  process.exit(code);
}
