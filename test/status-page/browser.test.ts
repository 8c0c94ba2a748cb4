/**
 * The status page in a real browser (Debian's Chromium driven by playwright-core) against the real daemon on
 * loopback, with the sandbox's resources on real files and a tmpfs disk. What a user checks: every resource is
 * listed; a disk pulled out shows as not Ready and then Ready again, and a deleted cron file is healed, all on the
 * page without a reload; a click shows a resource's conditions and events; an action without the API token is
 * refused and with it works; with `--allow-remote` the page still loads and asks for the token before it shows
 * anything.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { readApiToken } from '../../controller/http/index.js';
import type { Daemon } from '../../controller/runtime/daemon.js';
import { formatRevision } from '../../reconcilers/core/resource.js';
import { canMount, integration } from '../support/integration.js';
import { createLab, hostManifest, keepaliveManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { waitUntil } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const browserLab = integration(
  'chromium',
  existsSync(CHROMIUM) && canMount(),
  existsSync(CHROMIUM) ? 'tmpfs mounts need root on Linux' : `Debian's chromium is not installed at ${CHROMIUM}`,
);
const SANDBOX = join(import.meta.dirname, '../../manifests/sandbox');

let browser: Browser | undefined;
let lab: TestLab;
let daemon: Daemon | undefined;
let page: Page | undefined;

beforeAll(async () => {
  if (!browserLab.available) return;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
  browser = undefined;
});
beforeEach(() => {
  lab = createLab({ git: true });
  lab.writeManifest('hosts/local.yaml', hostManifest('local', lab.root));
  lab.writeManifest('data.yaml', readFileSync(join(SANDBOX, 'data.yaml'), 'utf8'));
  lab.writeManifest('keepalive.yaml', readFileSync(join(SANDBOX, 'keepalive.yaml'), 'utf8'));
  mkdirSync(lab.real('/data'), { recursive: true });
});
afterEach(async () => {
  await page?.close();
  page = undefined;
  await daemon?.stop();
  daemon = undefined;
  lab.cleanup();
});

const KEYS = ['Host/local', 'StorageKeepalive/hdd', 'StorageKeepalive/hdd-cron', 'StorageKeepalive/usb', 'UnifiedNamespace/data'];
const row = (key: string) => `#rows tr[data-key="${key}"]`;

async function startReady(listen?: { allowRemote: boolean }): Promise<Daemon> {
  lab.mountDisk('/mnt/usb');
  lab.writeManifest('usb.yaml', keepaliveManifest('usb', { path: '/mnt/usb', interval: '1h' }));
  lab.git('add', '-A');
  lab.git('commit', '-qm', 'the lab');
  daemon = await startLabDaemon(lab, listen ? { listen: { host: '127.0.0.1', port: 0, ...listen } } : {});
  for (const key of KEYS) {
    await waitUntil(`${key} Ready`, () => viewOf(daemon!, key)?.ready === 'True', 10_000);
  }
  return daemon;
}

/** The text of a row's cells, by column name. */
async function rowText(key: string): Promise<Record<string, string>> {
  const cells = await page!.locator(`${row(key)} td`).allTextContents();
  const [kind, name, host, ready, reason, message, age, revision] = cells;
  return { kind: kind!, name: name!, host: host!, ready: ready!, reason: reason!, message: message!, age: age!, revision: revision! };
}

async function waitForRow(key: string, ready: string, reason?: string, timeout = 10_000): Promise<void> {
  await page!.waitForFunction(
    ([selector, r, why]) => {
      const tr = document.querySelector(selector!) as HTMLElement | null;
      return tr !== null && tr.dataset.ready === r && (why === '' || tr.dataset.reason === why);
    },
    [row(key), ready, reason ?? ''] as const,
    { timeout },
  );
}

browserLab.describe('the status page in Chromium', () => {
  browserLab.it('lists every resource, shows a broken disk and a healed drift live without a reload, and a resource\'s detail on click', async () => {
    const d = await startReady();
    page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
    await page.goto(d.http.url);
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('#rows tr').length === n, KEYS.length);
    expect(await page.locator('#rows tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.key))).toEqual(KEYS);
    expect(await rowText('StorageKeepalive/hdd-cron')).toMatchObject({ kind: 'StorageKeepalive', name: 'hdd-cron', host: 'local', ready: 'True', reason: 'Succeeded' });
    expect((await rowText('UnifiedNamespace/data')).age).toMatch(/^\d+s$/);
    const head = lab.git('rev-parse', 'HEAD').trim();
    expect((await rowText('UnifiedNamespace/data')).revision).toBe(formatRevision({ commit: head, dirty: false }));
    expect(await page.locator('#counts').textContent()).toContain('5resources');

    // From here on, everything must arrive through the stream: no navigation, no reload.
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    // Open the disk's detail, then pull the disk out: the row and the detail show it not Ready, then Ready again.
    await page.click(row('StorageKeepalive/usb'));
    await page.locator('#detail[data-key="StorageKeepalive/usb"]').waitFor();
    expect(await page.locator('#detail').textContent()).toContain('Conditions');
    lab.unmountDisk('/mnt/usb');
    await waitForRow('StorageKeepalive/usb', 'False', 'NotMounted');
    await page.waitForFunction(() => /NotMounted/.test(document.querySelector('#detail')?.textContent ?? ''));
    await page.locator('#detail-events', { hasText: 'NotMounted' }).waitFor();
    expect(await page.locator('#counts').textContent()).toContain('1not Ready');
    await page.screenshot({ path: '/tmp/status-page.png', fullPage: true });
    lab.mountDisk('/mnt/usb');
    await waitForRow('StorageKeepalive/usb', 'True');
    await page.locator('#detail-events', { hasText: 'Recovered' }).waitFor({ timeout: 10_000 });

    // A drift: a folder of the UnifiedNamespace removed by hand is healed, and the page shows the Applied event.
    await page.click(row('UnifiedNamespace/data'));
    await page.locator('#detail[data-key="UnifiedNamespace/data"]').waitFor();
    const inventory = await page.locator('#detail').textContent();
    expect(inventory).toContain('/data/media/movies');
    rmSync(lab.real('/data/media/movies'), { recursive: true });
    await waitUntil('the folder is back', () => existsSync(lab.real('/data/media/movies')), 5000);
    await page.locator('#detail-events', { hasText: '/data/media/movies' }).waitFor({ timeout: 5000 });
    await page.locator('#events li[data-key="UnifiedNamespace/data"]', { hasText: 'Applied' }).first().waitFor();
    await waitForRow('UnifiedNamespace/data', 'True');

    // And the cron file of a keepalive deleted by hand: healed, shown in the recent events.
    rmSync(lab.real('/etc/cron.d/homeostat-hdd-cron'));
    await waitUntil('the cron file is back', () => existsSync(lab.real('/etc/cron.d/homeostat-hdd-cron')), 5000);
    await page.locator('#events li[data-key="StorageKeepalive/hdd-cron"]', { hasText: 'Applied' }).first().waitFor({ timeout: 5000 });

    expect(navigations).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  browserLab.it('actions without the token are refused and change nothing; with the token pasted they work', async () => {
    const d = await startReady();
    await d.controller.idle();
    const runs: string[] = [];
    d.controller.onSettled((run) => runs.push(run.key));
    page = await browser!.newPage();
    await page.goto(d.http.url);
    await page.locator('#conn[data-state="live"]').waitFor();
    const refused = (what: string) => page!.locator('#notice.error', { hasText: what }).filter({ hasText: '401' }).waitFor();
    const done = (what: string) => page!.locator('#notice:not(.error)', { hasText: what }).waitFor();

    // Three of five resources leave the manifests at once: the deletions are held, and the page offers to release them.
    lab.removeManifest('keepalive.yaml');
    lab.removeManifest('usb.yaml');
    await page.locator('#prune-confirm').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#controller [data-type="PruneHeld"]').textContent()).toContain('True');
    expect(await page.locator('#token-state').textContent()).toBe('no token: read-only');

    await page.click('#prune-confirm');
    await refused('Release held deletions');
    await page.click(row('UnifiedNamespace/data'));
    await page.locator('#detail[data-key="UnifiedNamespace/data"] #reconcile').click();
    await refused('Reconcile UnifiedNamespace/data');
    await page.click('#source-refresh');
    await refused('Refresh source');
    await d.controller.idle();
    expect(runs).not.toContain('UnifiedNamespace/data');
    expect(d.controller.desired.held()).toHaveLength(3);
    expect(existsSync(lab.real('/etc/cron.d/homeostat-hdd-cron'))).toBe(true);

    await page.fill('#token', readApiToken(lab.state));
    await page.click('#token-use');
    expect(await page.locator('#token').inputValue()).toBe(''); // not left in the field
    expect(await page.locator('#token-state').textContent()).toBe('token set (this tab only)');
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.locator('#detail[data-key="UnifiedNamespace/data"] #reconcile').click();
    await done('Reconcile UnifiedNamespace/data: done');
    await waitUntil('the reconcile ran', () => runs.includes('UnifiedNamespace/data'), 5000);
    await page.click('#source-refresh');
    await done('Refresh source: done');
    await page.click('#prune-confirm');
    await done('released 3 deletion(s)');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 2, undefined, { timeout: 10_000 });
    await page.locator('#prune-confirm').waitFor({ state: 'hidden' });
    expect(existsSync(lab.real('/etc/cron.d/homeostat-hdd-cron'))).toBe(false);
    // The token lives in this tab's sessionStorage only, never in the page's markup.
    expect(await page.content()).not.toContain(readApiToken(lab.state));
  }, 60_000);

  browserLab.it('with --allow-remote the page loads, asks for the token, and shows the lab once it is given', async () => {
    const d = await startReady({ allowRemote: true });
    page = await browser!.newPage();
    await page.goto(d.http.url);
    await page.locator('#conn[data-state="needs-token"]').waitFor();
    expect(await page.locator('#rows tr').count()).toBe(0);
    await page.fill('#token', readApiToken(lab.state));
    await page.click('#token-use');
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('#rows tr').length === n, KEYS.length);
    await page.click(row('UnifiedNamespace/data'));
    await page.locator('#detail[data-key="UnifiedNamespace/data"]', { hasText: 'Inventory' }).waitFor();
  }, 60_000);
});
