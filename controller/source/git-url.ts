/**
 * A `--git` URL, understood once: which transport it uses (a local path, `file://`, `ssh://`, scp-like
 * `user@host:repo`, `https://`, `http://`), the URL git is given (never with credentials in it), where it is shown
 * (`location`: no credentials either), and the credentials of an http(s) URL, which reach git only as an
 * `Authorization` header in its environment. Parsing is pure; `registerRemoteSecrets` tells the redactor.
 */
import { isAbsolute, resolve } from 'node:path';
import { registerSecret } from '../../reconcilers/core/redact.js';

export type GitTransport = 'local' | 'file' | 'ssh' | 'https' | 'http';

export interface GitRemote {
  transport: GitTransport;
  /** What git fetches from: an absolute path, or a URL without user info (http) or password (ssh). */
  gitUrl: string;
  /** What logs, conditions, the state and errors show: no credentials, no query string. */
  location: string;
  /** The protocol git may use for it (GIT_ALLOW_PROTOCOL). */
  protocol: 'file' | 'ssh' | 'https' | 'http';
  /** http(s) with user info: the `Authorization` header value git sends. */
  authorization?: string;
  /** Every form of a credential in the URL (for the redactor); empty when there is none. */
  secrets: string[];
}

export class GitUrlError extends Error {
  override readonly name = 'GitUrlError';
}

/** `user@host:path` (scp-like): a colon before any slash, and no `://`. */
const SCP_LIKE = /^(?:([^@/:\s]+)@)?(\[[^\]\s]+\]|[^@/:\s\[\]]+):(.*)$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Parses `raw` (a relative local path resolves against `cwd`). Throws GitUrlError, whose message never holds a credential. */
export function parseGitUrl(raw: string, cwd = process.cwd()): GitRemote {
  if (raw.length === 0) throw new GitUrlError('--git: the URL is empty');
  if (CONTROL.test(raw)) throw new GitUrlError('--git: the URL holds a control character');
  if (raw.startsWith('-')) throw new GitUrlError('--git: a URL cannot start with "-"');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return isScpLike(raw) ? scpLike(raw) : localPath(raw, cwd);
  if (scheme === 'file') return fileUrl(raw);
  if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') return sshUrl(raw);
  if (scheme === 'https' || scheme === 'http') return httpUrl(raw, scheme);
  throw new GitUrlError(`--git: unsupported URL scheme "${scheme}://" (use a path, file://, ssh://, user@host:repo or https://)`);
}

/** Makes every credential of the URL unprintable (logs, store, errors show `<secret sha256:…>`). */
export function registerRemoteSecrets(remote: GitRemote): void {
  remote.secrets.forEach((secret, i) => registerSecret(`git-url:${remote.location}:${i}`, secret));
}

/** Git's rule: a colon before the first slash makes `host:path`, unless the part before it is a path. */
function isScpLike(raw: string): boolean {
  if (isAbsolute(raw) || raw.startsWith('./') || raw.startsWith('../')) return false;
  const colon = raw.indexOf(':');
  const slash = raw.indexOf('/');
  return colon > 0 && (slash === -1 || colon < slash);
}

function localPath(raw: string, cwd: string): GitRemote {
  const path = resolve(cwd, raw);
  return { transport: 'local', gitUrl: path, location: path, protocol: 'file', secrets: [] };
}

function fileUrl(raw: string): GitRemote {
  const url = parseUrl(raw, 'file');
  if (url.username || url.password) throw new GitUrlError('--git: a file:// URL cannot hold user info');
  if (url.host !== '' && url.host !== 'localhost') throw new GitUrlError('--git: a file:// URL names no host (file:///path)');
  return { transport: 'file', gitUrl: `file://${url.pathname}`, location: `file://${decodeURIComponent(url.pathname)}`, protocol: 'file', secrets: [] };
}

function scpLike(raw: string): GitRemote {
  const match = SCP_LIKE.exec(raw);
  if (!match || match[3] === '') throw new GitUrlError('--git: expected user@host:path');
  if (match[2]!.startsWith('-')) throw new GitUrlError('--git: a host cannot start with "-"');
  return { transport: 'ssh', gitUrl: raw, location: raw, protocol: 'ssh', secrets: [] };
}

function sshUrl(raw: string): GitRemote {
  const url = parseUrl(raw, 'ssh');
  if (url.hostname.startsWith('-') || decodeURIComponent(url.username).startsWith('-')) throw new GitUrlError('--git: a user or host cannot start with "-"');
  // ssh never takes a password from a URL (BatchMode): drop it, and keep it out of every message.
  const secrets = url.password ? forms(url.password) : [];
  url.password = '';
  const shown = `ssh://${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
  return { transport: 'ssh', gitUrl: shown, location: shown, protocol: 'ssh', secrets };
}

function httpUrl(raw: string, scheme: 'https' | 'http'): GitRemote {
  const url = parseUrl(raw, scheme);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  // A token is often the user name alone (https://TOKEN@host/...): every part of user info is a secret.
  const secrets = [...(url.username ? forms(url.username) : []), ...(url.password ? forms(url.password) : [])];
  let authorization: string | undefined;
  if (url.username || url.password) {
    const basic = Buffer.from(`${user}:${password}`).toString('base64');
    authorization = `Basic ${basic}`;
    secrets.push(basic);
  }
  url.username = '';
  url.password = '';
  const location = `${scheme}://${url.host}${url.pathname}`;
  url.hash = '';
  return { transport: scheme, gitUrl: url.toString(), location, protocol: scheme, ...(authorization ? { authorization } : {}), secrets };
}

function parseUrl(raw: string, scheme: string): URL {
  try {
    return new URL(raw);
  } catch {
    // The message of URL's own error would quote the whole URL, credentials and all.
    throw new GitUrlError(`--git: not a valid ${scheme}:// URL`);
  }
}

/** A credential as written in the URL (percent-encoded) and decoded. */
function forms(encoded: string): string[] {
  let decoded = encoded;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    // keep the encoded form alone
  }
  return [...new Set([encoded, decoded])];
}
