/**
 * The variable names an env file defines (`NAME=value`, `export NAME=value`, `NAME`), read for the importer:
 * only names leave this function, never a value, so nothing of a secret can reach a manifest or a message.
 */
import { readFileSync } from 'node:fs';

/** Names in file order, without repeats; undefined when the file cannot be read. */
export function readEnvFileNames(path: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return envFileNames(text);
}

/** The names defined in env-file text (pure). */
export function envFileNames(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=|$)/.exec(line);
    if (match) names.add(match[1]!);
  }
  return [...names];
}
