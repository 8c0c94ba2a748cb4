/**
 * The create and recreate changes VpnSidecar's plan emits for a declared container, pure: why an existing one
 * no longer matches its declaration (which field, secrets by hash only), the volumes a recreate carries over,
 * and the detail lines `diff` prints.
 */
import type { DesiredContainer } from '../desired.js';
import type { CreateChange, ObservedContainer, RecreateChange, VpnObserved } from '../model.js';
import { describeOptions, showOption, type OptionField } from '../container-options.js';
import { containerTarget, ref, shortId } from './step.js';
import { formatBinding } from '../ports.js';
import { sha256, showSecret } from '../secrets.js';
import { inPlaceMismatches } from './adoption.js';

/**
 * Why `c` does not match `desired` (empty: it does). Secrets are shown by hash only. A container homeostat did not
 * create matches only when it was read for in-place adoption and nothing differs (plan/adoption.ts).
 */
export function recreateReasons(c: ObservedContainer, desired: DesiredContainer, owner: string): string[] {
  if (c.owner !== owner) {
    const adopted = `adopted: it was not created by homeostat for ${owner}`;
    if (c.owner !== null || !c.live) return [adopted];
    const mismatches = inPlaceMismatches(c.live, desired);
    return mismatches.length === 0 ? [] : [`${adopted}, and differs from its declaration (${mismatches.join('; ')})`];
  }
  if (c.specHash === desired.specHash) return [];
  const reasons: string[] = [];
  for (const field of Object.keys(desired.fields).sort()) {
    if (c.fields[field] === desired.fields[field]) continue;
    if (field === 'image') reasons.push(`image ${c.image} → ${desired.image}`);
    else if (field === 'env') reasons.push(envReason(c, desired));
    else if (field === 'secretEnv') reasons.push(secretEnvReason(c, desired));
    else if (field === 'ports') reasons.push(`published ports → ${desired.ports.map(formatBinding).join(', ') || 'none'}`);
    else if (field === 'volumes') reasons.push(`volumes → ${desired.volumes.join(', ') || 'none'}`);
    else if (field === 'shape') reasons.push('homeostat now creates it differently');
    else if (field in desired.options) reasons.push(`${field} → ${showOption(desired.options[field as OptionField])}`);
    else reasons.push(`${field} changed`);
  }
  return reasons.length > 0 ? reasons : ['its spec-hash label differs'];
}

/**
 * With `pull: always`: the declared tag now names another image on the Docker host than the one the container runs
 * (pulled or re-tagged since it was created), or null. A changed reference is the image field's reason instead.
 */
export function pulledImageReason(c: ObservedContainer, desired: DesiredContainer, observed: Pick<VpnObserved, 'imageIds'>): string | null {
  if (desired.pull !== 'always' || c.image !== desired.image || !c.imageId) return null;
  const current = observed.imageIds?.[desired.image];
  if (!current || current === c.imageId) return null;
  return `image ${desired.image} now is ${shortImageId(current)} (it runs ${shortImageId(c.imageId)}; pull: always)`;
}

function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function envReason(c: ObservedContainer, desired: DesiredContainer): string {
  const changed = Object.entries(desired.env)
    .filter(([k, v]) => c.envHashes[k] !== sha256(v))
    .map(([k, v]) => `${k}=${v}`);
  return changed.length > 0 ? `env ${changed.join(', ')}` : 'env (a variable was removed)';
}

function secretEnvReason(c: ObservedContainer, desired: DesiredContainer): string {
  const changed = Object.entries(desired.secretEnv)
    .filter(([k, s]) => c.envHashes[k] !== s.hash)
    .map(([k, s]) => `${k} ${c.envHashes[k] ? showSecret(c.envHashes[k]) : '(unset)'} → ${showSecret(s.hash)}`);
  return changed.length > 0 ? `secretEnv ${changed.join(', ')}` : 'secretEnv (a variable was removed)';
}

/** Volumes mounted in the old container at destinations the spec does not mount (anonymous ones): kept. */
export function carriedVolumes(c: ObservedContainer, desired: DesiredContainer): RecreateChange['carry'] {
  const declared = new Set(desired.volumes.map((v) => v.split(':')[1]));
  return c.volumes.filter((v) => !declared.has(v.destination));
}

export function createChange(desired: DesiredContainer): CreateChange {
  const what = desired.role === 'gateway' ? `the gateway ${desired.name}` : `${desired.name} behind the gateway`;
  return { action: 'create', target: containerTarget(desired.name), summary: `create ${what}`, desired, details: describeDesired(desired) };
}

export function recreateChange(c: ObservedContainer, desired: DesiredContainer, reasons: string[], carry: RecreateChange['carry']): RecreateChange {
  return {
    action: 'recreate',
    target: containerTarget(desired.name),
    summary: `recreate ${desired.name} (${shortId(c.id)}): ${reasons.join('; ')}`,
    desired,
    old: ref(c, desired.role),
    reasons,
    carry,
    details: [...describeDesired(desired), ...carry.map((v) => `  keep volume ${v.name} at ${v.destination}`)],
  };
}

export function describeDesired(d: DesiredContainer): string[] {
  const lines = [`+ image ${d.image}`];
  for (const [k, v] of Object.entries(d.env)) lines.push(`+ env ${k}=${v}`);
  for (const [k, s] of Object.entries(d.secretEnv)) lines.push(`+ env ${k}=${showSecret(s.hash)} (from ${s.file})`);
  lines.push(...describeOptions(d.options));
  if (d.pull === 'always') lines.push('+ pull always');
  if (d.role === 'gateway') {
    lines.push('+ cap NET_ADMIN', '+ device /dev/net/tun');
    for (const b of d.ports) lines.push(`+ publish ${formatBinding(b)}`);
  } else {
    lines.push('+ network container:<gateway id>');
    for (const v of d.volumes) lines.push(`+ volume ${v}`);
  }
  return lines;
}
