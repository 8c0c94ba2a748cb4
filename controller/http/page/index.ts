/**
 * The status page (`GET /`): its HTML, script and stylesheet as strings in modules (the bundled CLI carries them),
 * and the headers they are served with.
 */
export { COMMON_HEADERS, CONTENT_SECURITY_POLICY, PAGE_ASSETS, PAGE_PATHS, type PageAsset } from './assets.js';
