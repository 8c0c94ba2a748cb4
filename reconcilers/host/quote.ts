/**
 * Quoting for a POSIX shell: over SSH a command line is always interpreted by the remote user's shell,
 * so every argument is single-quoted (a `'` inside becomes `'\''`). Nothing else is special inside
 * single quotes: not `$`, backquotes, backslashes or newlines.
 */

/** One argument as a single POSIX shell word. NUL cannot be passed in an argv and is refused. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv as a command line for a POSIX shell. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
