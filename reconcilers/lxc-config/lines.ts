/**
 * A config file as a list of lines that remembers each line's own ending (`\n`, `\r\n`, or none for a last
 * line without a newline), so that `joinLines(splitLines(text)) === text` for every text: editing a few lines
 * never rewrites the bytes of the others.
 */

export type LineEnding = '' | '\n' | '\r\n';

export interface Line {
  /** The line without its ending (a lone `\r` inside a line stays part of the text). */
  text: string;
  eol: LineEnding;
}

export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    if (newline === -1) {
      lines.push({ text: text.slice(start), eol: '' });
      break;
    }
    const crlf = newline > start && text[newline - 1] === '\r';
    lines.push({ text: text.slice(start, crlf ? newline - 1 : newline), eol: crlf ? '\r\n' : '\n' });
    start = newline + 1;
  }
  return lines;
}

export function joinLines(lines: readonly Line[]): string {
  let out = '';
  for (const line of lines) out += line.text + line.eol;
  return out;
}

/** The ending new lines should get: CRLF when most of the file's lines use it, else LF. */
export function dominantEnding(lines: readonly Line[]): '\n' | '\r\n' {
  let crlf = 0;
  let lf = 0;
  for (const line of lines) {
    if (line.eol === '\r\n') crlf++;
    else if (line.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}
