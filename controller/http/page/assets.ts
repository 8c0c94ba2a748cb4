/**
 * The status page's three files and the headers they are served with. The HTML carries a strict
 * Content-Security-Policy: scripts, styles and connections from this origin only (no inline script or style),
 * nothing may frame it, no form posts anywhere, no base-URI tricks. The files hold no data and no token, so the
 * access rules (guard.ts) let anyone who can name the endpoint load them; everything they show comes from the
 * API afterwards, under the API's rules.
 */
import { PAGE_HTML } from './html.js';
import { PAGE_JS } from './script.js';
import { PAGE_CSS } from './style.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every answer of the endpoint (API and page alike). */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

export interface PageAsset {
  body: string;
  headers: Record<string, string>;
}

function asset(body: string, type: string, extra: Record<string, string> = {}): PageAsset {
  return { body, headers: { ...COMMON_HEADERS, 'content-type': type, ...extra } };
}

/** The page's files by path. */
export const PAGE_ASSETS: ReadonlyMap<string, PageAsset> = new Map([
  [
    '/',
    asset(PAGE_HTML, 'text/html; charset=utf-8', {
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    }),
  ],
  ['/ui/app.js', asset(PAGE_JS, 'text/javascript; charset=utf-8')],
  ['/ui/app.css', asset(PAGE_CSS, 'text/css; charset=utf-8')],
]);

/** The paths of the page's files (guard.ts serves them without the token even with `--allow-remote`). */
export const PAGE_PATHS: ReadonlySet<string> = new Set(PAGE_ASSETS.keys());
