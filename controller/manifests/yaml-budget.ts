/**
 * A streaming count of a file's YAML tokens, taken as the parser reads them (parse.ts feeds every lexer token
 * through `budgetedTokens` on its way to the parser, so the file is lexed once): the YAML library spends about
 * 1 KB of memory per node, so a 1 MiB flow list of half a million items would take half a gigabyte. This counts
 * the nodes (scalars, flow collections, block list items, aliases) and the nesting of flow collections, and stops
 * the stream at the first one past the limits, before the parser has seen it, giving its position. Pure.
 */
import { Lexer } from 'yaml';
import type { LinePosition } from './yaml-position.js';

export type YamlBudgetProblem = { limit: 'nodes' | 'depth'; at: LinePosition };

/** Tokens the lexer inserts that are not in the source. */
const MARKERS = new Set(['\u0002', '\u0018', '\u001f']);

/**
 * The lexer's tokens of `text`, ending early (with `over` set) at the first token past the limits; the parser
 * then never sees it or anything after it.
 */
export function budgetedTokens(text: string, maxNodes: number, maxDepth: number): { tokens: Iterable<string>; over(): YamlBudgetProblem | undefined } {
  let problem: YamlBudgetProblem | undefined;
  function* tokens(): Generator<string> {
    let offset = 0;
    let nodes = 0;
    let depth = 0;
    for (const token of new Lexer().lex(text)) {
      const first = token[0];
      if (token === '\u001f' || first === '"' || first === "'" || first === '*' || token === '-' || token === '[' || token === '{') {
        nodes++;
        if (nodes > maxNodes) return void (problem = { limit: 'nodes', at: positionAt(text, offset) });
      }
      if (token === '[' || token === '{') {
        depth++;
        if (depth > maxDepth) return void (problem = { limit: 'depth', at: positionAt(text, offset) });
      } else if ((token === ']' || token === '}') && depth > 0) {
        depth--;
      }
      if (!MARKERS.has(token)) offset += token.length;
      yield token;
    }
  }
  return { tokens: tokens(), over: () => problem };
}

/** 1-based line and column (in UTF-16 units, as the YAML library's LineCounter counts them) of `offset`. */
export function positionAt(text: string, offset: number): LinePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}
