/**
 * Rendering for `get` and `describe`: kubectl-like tables, and JSON/YAML of the same views; and the
 * `FILE:LINE:COL kind/name: message` lines of manifest errors. The yaml package is loaded only for YAML output
 * (`get`'s table, the common case, needs none of it).
 */
import { formatManifestError, type ManifestError } from '../manifests/manifest-error.js';
import { formatAge, formatRevision, type ResourceDetail, type ResourceView } from '../status/views.js';

/** One line per error, in the order given (loadManifestDir sorts them by file and position). */
export function printManifestErrors(errors: readonly ManifestError[], stream: NodeJS.WriteStream): void {
  for (const e of errors) stream.write(formatManifestError(e) + '\n');
}

/** Digits of the applied commit `get` shows (`describe` shows all of it and its subject). */
const SHORT_SHA = 7;

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n');
}

/** `value` as YAML text. */
async function yamlText(value: unknown): Promise<string> {
  return (await import('./yaml-text.js')).yamlText(value);
}

export async function renderGet(views: ResourceView[], output: string): Promise<string> {
  if (output === 'json') return JSON.stringify({ items: views }, null, 2);
  if (output === 'yaml') return yamlText({ items: views });
  const wide = output === 'wide';
  const header = ['KIND', 'NAME', 'HOST', 'READY', 'STATUS', 'AGE', 'REVISION', ...(wide ? ['GENERATION', 'MESSAGE'] : [])];
  const rows = views.map((v) => [
    v.kind,
    v.name,
    v.host,
    v.ready,
    v.status,
    formatAge(v.createdAt),
    formatRevision(v.lastAppliedRevision, SHORT_SHA),
    ...(wide
      ? [v.observedGeneration === v.generation ? v.generation : `${v.generation} (observed ${v.observedGeneration ?? '-'})`, v.message.split('\n')[0] ?? '']
      : []),
  ]);
  return table([header, ...rows]);
}

export async function renderDescribe(d: ResourceDetail): Promise<string> {
  const lines: string[] = [];
  lines.push(`Name:         ${d.name}`, `Kind:         ${d.kind}`, `Host:         ${d.host}`, `File:         ${d.file}`);
  lines.push(`Generation:   ${d.generation} (observed: ${d.observedGeneration ?? '-'})`);
  const subject = d.lastAppliedRevision?.subject;
  lines.push(`Revision:     ${formatRevision(d.lastAppliedRevision, Infinity)}${subject ? ` (${subject})` : ''}`, `Last run:     ${d.lastReconcileTime ?? '-'}`);
  const annotations = Object.entries(d.annotations);
  if (annotations.length) lines.push('Annotations:', ...annotations.map(([k, v]) => `  ${k}: ${v}`));
  lines.push('Spec:', ...(await yamlText(d.spec)).trimEnd().split('\n').map((l) => `  ${l}`));
  const fields = Object.entries(d.fields);
  if (fields.length) lines.push('Status:', ...fields.map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`));
  lines.push('Conditions:');
  lines.push(
    ...table([
      ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
      ...d.conditions.map((c) => [c.type, c.status, c.reason, formatAge(c.lastTransitionTime), c.message.split('\n')[0] ?? '']),
    ])
      .split('\n')
      .map((l) => `  ${l}`),
  );
  lines.push('Inventory:');
  if (d.inventory.length === 0) lines.push('  (nothing created)');
  for (const item of d.inventory) lines.push(`  ${item.type}  ${item.host}:${item.id}`);
  lines.push('Events:');
  if (d.events.length === 0) lines.push('  (none)');
  else
    lines.push(
      ...table([
        ['TYPE', 'REASON', 'AGE', 'COUNT', 'MESSAGE'],
        ...d.events.map((e) => [e.type, e.reason, formatAge(e.time), String(e.count), e.message]),
      ])
        .split('\n')
        .map((l) => `  ${l}`),
    );
  return lines.join('\n');
}
