/**
 * Docker image references, checked purely (`[registry[:port]/]path[:tag][@sha256:digest]`, the grammar of
 * distribution/reference), with a message that says what is wrong rather than that a pattern failed.
 */

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const REGISTRY = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** `null` when `ref` is a valid reference, else why not. */
export function imageRefProblem(ref: string): string | null {
  if (ref.length === 0) return 'is empty';
  if (ref.length > 255) return 'is longer than 255 characters';
  if (/\s/.test(ref)) return `"${ref}" contains whitespace`;
  let rest = ref;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) return `"${ref}": the digest after @ must be sha256: and 64 lowercase hex digits`;
    rest = rest.slice(0, at);
  }
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    const tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) return `"${ref}": the tag "${tag}" must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -`;
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) {
    if (!REGISTRY.test(parts[0]!)) return `"${ref}": "${parts[0]}" is not a registry host[:port]`;
    parts.shift();
  }
  for (const part of parts) {
    if (part === '') return `"${ref}": a repository path component is empty`;
    if (/[A-Z]/.test(part)) return `"${ref}": the repository name must be lowercase ("${part}")`;
    if (!COMPONENT.test(part)) return `"${ref}": "${part}" is not a repository name component (a-z 0-9 separated by . _ __ or -)`;
  }
  return null;
}
