/**
 * A cheap streaming pass over a file's YAML tokens, before the documents are built: the YAML library spends about
 * 1 KB of memory per node, so a 1 MiB flow list of half a million items would take half a gigabyte. This counts the
 * nodes (scalars, flow collections, block list items, aliases) and the nesting of flow collections, and stops at
 * the first one past the limits, giving its position. Pure.
 */
import { Lexer } from 'yaml';
import type { LinePosition } from './yaml-position.js';

export type YamlBudgetProblem = { limit: 'nodes' | 'depth'; at: LinePosition };

/** Tokens the lexer inserts that are not in the source. */
const MARKERS = new Set(['\u0002', '\u0018', '\u001f']);

export function checkYamlBudget(text: string, maxNodes: number, maxDepth: number): YamlBudgetProblem | undefined {
  let offset = 0;
  let nodes = 0;
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    const first = token[0];
    if (token === '\u001f' || first === '"' || first === "'" || first === '*' || token === '-' || token === '[' || token === '{') {
      nodes++;
      if (nodes > maxNodes) return { limit: 'nodes', at: positionAt(text, offset) };
    }
    if (token === '[' || token === '{') {
      depth++;
      if (depth > maxDepth) return { limit: 'depth', at: positionAt(text, offset) };
    } else if ((token === ']' || token === '}') && depth > 0) {
      depth--;
    }
    if (!MARKERS.has(token)) offset += token.length;
  }
  return undefined;
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
