/**
 * The importer's output as YAML text: one document per VpnSidecar, each under a comment block that says where it
 * came from and lists, per compose service and key, what the user must do, what the spec cannot carry and what
 * homeostat does itself. Notes carry names, paths and file locations only, never a secret value.
 */
import { stringify } from 'yaml';
import type { ComposeImport } from './convert.js';
import type { ImportNote, NoteKind } from './notes.js';

const SECTIONS: ReadonlyArray<[NoteKind, string]> = [
  ['todo', 'To do before applying'],
  ['notCarried', 'Not carried (the VpnSidecar spec has no place for it; the compose file keeps it)'],
  ['covered', 'Done by homeostat itself'],
];
const WIDTH = 118;

export function renderComposeImport(result: ComposeImport, file: string): string {
  const parts: string[] = [];
  const header = [`Imported from ${file} by \`homeostat import compose\`.`, ...sections(result.notes), ''];
  parts.push(comment(header));
  result.sidecars.forEach((sidecar, i) => {
    const services = [sidecar.gatewayService, ...new Set(sidecar.notes.map((n) => n.service).filter((s) => s !== sidecar.gatewayService))];
    const lines = [
      `VpnSidecar ${sidecar.manifest.metadata.name}: services ${services.join(', ')} of ${file}.`,
      'Before applying, stop those containers (docker compose down), or set spec.adopt: true: homeostat leaves containers it did not create alone (the resource is Stalled); with adopt it keeps each one whose live configuration matches its declaration (adopted in place) and recreates the others.',
      ...sections(sidecar.notes),
    ];
    parts.push(`${i === 0 ? '' : '---\n'}${comment(lines)}${stringify(sidecar.manifest, { lineWidth: 0 })}`);
  });
  return parts.join('');
}

function sections(notes: readonly ImportNote[]): string[] {
  const lines: string[] = [];
  for (const [kind, title] of SECTIONS) {
    const chosen = notes.filter((n) => n.kind === kind);
    if (chosen.length === 0) continue;
    lines.push('', `${title}:`);
    for (const note of chosen) {
      const key = note.service === '' ? note.key : note.key === '' ? `services.${note.service}` : `services.${note.service}.${note.key}`;
      lines.push(`- ${key} (line ${note.at.split(':')[0]}): ${note.text}`);
    }
  }
  return lines;
}

function comment(lines: readonly string[]): string {
  return lines.flatMap((line) => (line === '' ? ['#'] : wrap(line).map((part) => `# ${part}`))).join('\n') + '\n';
}

function wrap(line: string): string[] {
  const indent = line.startsWith('- ') ? '  ' : '';
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > WIDTH) {
      out.push(current);
      current = indent + word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') out.push(current);
  return out;
}
