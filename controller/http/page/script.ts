/**
 * The status page's script, served at `/ui/app.js` (a string in a module, so the bundled CLI carries it; no
 * build step). Plain browser JavaScript, no framework:
 * - reads the live stream `/api/v1/events` with fetch and a streaming reader (not EventSource, which cannot send
 *   the `Authorization` header an `--allow-remote` endpoint needs), applies the snapshot and then each delta to
 *   the table row by row, and reconnects with backoff (or when no heartbeat came for too long);
 * - shows a resource's detail (`GET /api/v1/resources/KIND/NAME`) on click and re-reads it when the stream says
 *   the resource changed;
 * - sends actions (reconcile, confirm a held prune, refresh the source) with the API token the user pasted, kept
 *   in sessionStorage only and sent as a bearer header; the server decides, the page shows its answer.
 * Everything from the server is put into the page as text (textContent), never as HTML.
 * Written without backquotes and dollar-brace sequences, so it can live in this template string; the one
 * interpolation is the condition rule of controller/state/conditions.ts (BAD_WHEN_TRUE), which the page shares.
 */
import { BAD_WHEN_TRUE } from '../../state/conditions.js';

export const PAGE_JS = String.raw`'use strict';
const TOKEN_KEY = 'homeostat.apiToken';
const $ = (id) => document.getElementById(id);
const view = {
  rows: new Map(),      // key -> { data, tr }
  order: [],            // keys, sorted by kind then name
  controller: [],
  source: null,
  events: [],
  selected: null,
  heartbeatMs: 15000,
};
const MAX_EVENTS_SHOWN = 60;
const REQUEST_TIMEOUT_MS = 15000;
const ACTION_TIMEOUT_MS = 45000; // a source refresh is answered within 30 s (202 when the fetch takes longer)

// ── small helpers ───────────────────────────────────────────────────────────
function el(tag, props, children) {
  const node = document.createElement(tag);
  if (props) for (const k of Object.keys(props)) {
    if (k === 'text') node.textContent = props[k];
    else if (k === 'class') node.className = props[k];
    else if (k === 'title') node.title = props[k];
    else node.setAttribute(k, props[k]);
  }
  if (children) for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}
function keyOf(row) { return row.kind + '/' + row.name; }
function compareKeys(a, b) {
  const [ka, na] = splitKey(a), [kb, nb] = splitKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : na < nb ? -1 : na > nb ? 1 : 0;
}
function splitKey(key) { const i = key.indexOf('/'); return [key.slice(0, i), key.slice(i + 1)]; }
function age(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (!isFinite(s)) return '-';
  if (s < 120) return s + 's';
  if (s < 7200) return Math.floor(s / 60) + 'm';
  if (s < 172800) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}
function clock(iso) {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}
function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
function authHeaders() { const t = token(); return t ? { authorization: 'Bearer ' + t } : {}; }
let noticeTimer = 0;
function notice(text, isError) {
  const n = $('notice');
  n.textContent = text;
  n.className = isError ? 'error' : '';
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { n.textContent = ''; }, isError ? 12000 : 6000);
}
function setConn(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
}

// ── the resource table ──────────────────────────────────────────────────────
function rowCells(tr, r) {
  const cells = [r.kind, r.name, r.host, r.ready, r.reason, r.message, age(r.createdAt), r.revision];
  const classes = ['', '', '', 'ready ready-' + r.ready, 'reason', 'message', 'age', 'revision'];
  if (tr.children.length !== cells.length) {
    tr.textContent = '';
    for (let i = 0; i < cells.length; i++) tr.append(el('td'));
  }
  for (let i = 0; i < cells.length; i++) {
    const td = tr.children[i];
    if (td.textContent !== cells[i]) td.textContent = cells[i];
    if (td.className !== classes[i]) td.className = classes[i];
  }
  tr.children[5].title = r.message;
  tr.dataset.ready = r.ready;
  tr.dataset.reason = r.reason;
  tr.title = r.pending ? 'a newer spec is not applied yet' : '';
}
function makeRow(r) {
  const tr = el('tr');
  tr.dataset.key = keyOf(r);
  tr.addEventListener('click', () => select(tr.dataset.key));
  rowCells(tr, r);
  return tr;
}
function matchesFilter(r) {
  if ($('not-ready').checked && r.ready === 'True') return false;
  const f = $('filter').value.trim().toLowerCase();
  if (!f) return true;
  return [r.kind, r.name, r.host, r.reason, r.message].some((s) => String(s).toLowerCase().includes(f));
}
function applyFilter() {
  for (const { data, tr } of view.rows.values()) tr.hidden = !matchesFilter(data);
}
function lowerBound(key) {
  let lo = 0, hi = view.order.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (compareKeys(view.order[mid], key) < 0) lo = mid + 1; else hi = mid; }
  return lo;
}
function upsertRow(r) {
  const key = keyOf(r);
  const known = view.rows.get(key);
  if (known) {
    known.data = r;
    rowCells(known.tr, r);
    known.tr.hidden = !matchesFilter(r);
    return;
  }
  const tr = makeRow(r);
  tr.hidden = !matchesFilter(r);
  const at = lowerBound(key);
  const before = view.order[at];
  view.order.splice(at, 0, key);
  $('rows').insertBefore(tr, before ? view.rows.get(before).tr : null);
  view.rows.set(key, { data: r, tr });
}
function removeRow(key) {
  const known = view.rows.get(key);
  if (!known) return;
  known.tr.remove();
  view.rows.delete(key);
  const at = lowerBound(key);
  if (view.order[at] === key) view.order.splice(at, 1);
}
function replaceRows(rows) {
  view.rows.clear();
  view.order = rows.map(keyOf).sort(compareKeys);
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  const fragment = document.createDocumentFragment();
  for (const key of view.order) {
    const r = byKey.get(key);
    const tr = makeRow(r);
    tr.hidden = !matchesFilter(r);
    view.rows.set(key, { data: r, tr });
    fragment.append(tr);
  }
  $('rows').replaceChildren(fragment);
}
function renderCounts() {
  let ready = 0, notReady = 0, unknown = 0;
  for (const { data } of view.rows.values()) {
    if (data.ready === 'True') ready++; else if (data.ready === 'False') notReady++; else unknown++;
  }
  const part = (n, label, cls) => [el('span', { class: 'count ' + cls, text: String(n) }), el('span', { class: 'label', text: label })];
  $('counts').replaceChildren(...part(view.rows.size, 'resources', ''), ...part(ready, 'Ready', 'ready-True'),
    ...part(notReady, 'not Ready', 'ready-False'), ...part(unknown, 'unknown', 'ready-Unknown'));
  $('no-rows').hidden = view.rows.size > 0;
  for (const { tr } of view.rows.values()) tr.classList.toggle('selected', tr.dataset.key === view.selected);
}
function refreshAges() {
  for (const { data, tr } of view.rows.values()) {
    const td = tr.children[6];
    const a = age(data.createdAt);
    if (td && td.textContent !== a) td.textContent = a;
  }
}

// ── controller conditions and source ────────────────────────────────────────
function renderController() {
  const box = $('controller');
  if (view.controller.length === 0) {
    box.replaceChildren(el('div', { class: 'empty', text: 'no controller conditions yet' }));
  } else {
    box.replaceChildren(...view.controller.map((c) => el('div', { class: 'cond', 'data-type': c.type }, [
      el('strong', { text: c.type }),
      el('span', { class: 'ready-' + conditionHealth(c), text: c.status }),
      el('span', { text: c.reason }),
      el('span', { class: 'msg', text: c.message, title: c.message }),
    ])));
  }
  const held = view.controller.find((c) => c.type === 'PruneHeld');
  $('prune-confirm').hidden = !(held && held.status === 'True');
}
/**
 * PruneHeld=True is bad news, ManifestsValid=False is: colour by what the condition means, not by its value
 * (Reconciling says only whether a run is under way: no colour).
 */
function conditionHealth(c) {
  if (c.type === 'Reconciling') return 'neutral';
  const badWhenTrue = new RegExp(${JSON.stringify(BAD_WHEN_TRUE.source)}).test(c.type); // controller/state/conditions.ts
  if (c.status === 'Unknown') return 'Unknown';
  return (c.status === 'True') !== badWhenTrue ? 'True' : 'False';
}
function renderSource() {
  const s = view.source;
  $('source-box').hidden = !s;
  if (!s) return;
  const f = (label, value, cls) => el('span', { class: 'field' }, [el('span', { class: 'label', text: label + ' ' }), el('span', { class: cls || '', text: value })]);
  const parts = [f(s.type, s.location, 'mono')];
  if (s.ref) parts.push(f('ref', s.ref, 'mono'));
  if (s.path) parts.push(f('path', s.path, 'mono'));
  parts.push(f('applied', s.appliedCommit ? s.appliedCommit.slice(0, 12) + (s.appliedSubject ? ' ' + s.appliedSubject : '') : '-', 'mono'));
  if (s.fetchedCommit && s.fetchedCommit !== s.appliedCommit) parts.push(f('fetched', s.fetchedCommit.slice(0, 12), 'mono ready-Unknown'));
  if (s.lastFetchTime) parts.push(f('last fetch', clock(s.lastFetchTime) + ' ' + (s.lastFetchResult || ''), s.lastFetchResult === 'failed' ? 'ready-False' : ''));
  if (s.lastFetchError) parts.push(f('error', s.lastFetchError, 'ready-False'));
  $('source').replaceChildren(...parts);
}

// ── events ──────────────────────────────────────────────────────────────────
/** A repeat of the newest event of a resource (the store counts it) bumps its count here too. */
function addEvents(events) {
  if (!events || events.length === 0) return;
  for (const e of events) {
    const last = view.events[view.events.length - 1];
    if (last && last.kind === e.kind && last.name === e.name && last.type === e.type && last.reason === e.reason && last.message === e.message) {
      last.count = (last.count || 1) + 1;
      last.time = e.time;
    } else {
      view.events.push(Object.assign({ count: 1 }, e));
    }
  }
  view.events = view.events.slice(-MAX_EVENTS_SHOWN);
  renderEvents();
}
function renderEvents() {
  const items = view.events.slice().reverse().map((e) => el('li', { class: e.type, 'data-key': e.kind + '/' + e.name }, [
    el('span', { class: 'time', text: clock(e.time), title: e.time }),
    el('strong', { text: e.kind + '/' + e.name }), ' ',
    el('span', { text: e.reason }), ': ',
    el('span', { text: e.message }),
    e.count > 1 ? el('span', { class: 'label', text: ' (×' + e.count + ')' }) : '',
  ]));
  $('events').replaceChildren(...items);
  $('no-events').hidden = items.length > 0;
}

// ── the stream ──────────────────────────────────────────────────────────────
let stream = null;        // AbortController of the current connection
let lastData = 0;
let backoffMs = 1000;
let retryTimer = 0;
function handleMessage(type, data) {
  if (type === 'snapshot') {
    view.heartbeatMs = data.heartbeatMs || view.heartbeatMs;
    replaceRows(data.rows);
    view.controller = data.controller;
    view.source = data.source;
    view.events = [];
    addEvents(data.events);
    renderEvents();
    renderController();
    renderSource();
    renderCounts();
    if (view.selected) refreshDetailSoon();
    return;
  }
  if (type !== 'delta') return;
  for (const r of data.rows) upsertRow(r);
  for (const key of data.removed) removeRow(key);
  if (data.controller) { view.controller = data.controller; renderController(); }
  if (data.source !== undefined) { view.source = data.source; renderSource(); }
  addEvents(data.events);
  renderCounts();
  if (view.selected) {
    const touched = data.rows.some((r) => keyOf(r) === view.selected) || data.removed.includes(view.selected) ||
      data.events.some((e) => e.kind + '/' + e.name === view.selected);
    if (touched) refreshDetailSoon();
  }
}
function handleBlock(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  handleMessage(type, JSON.parse(data.join('\n')));
}
function reconnectLater() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, backoffMs);
  backoffMs = Math.min(backoffMs * 2, 15000);
}
async function connect() {
  clearTimeout(retryTimer);
  if (stream) stream.abort();
  const controller = new AbortController();
  stream = controller;
  setConn('connecting', 'connecting…');
  let res;
  const answered = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS); // no answer at all: try again
  try {
    res = await fetch('/api/v1/events', { headers: Object.assign({ accept: 'text/event-stream' }, authHeaders()), cache: 'no-store', signal: controller.signal });
  } catch (e) {
    clearTimeout(answered);
    if (controller.signal.aborted && stream !== controller) return;
    setConn('down', 'disconnected; retrying');
    return reconnectLater();
  }
  clearTimeout(answered);
  if (res.status === 401) {
    setConn('needs-token', 'paste the API token to watch');
    return; // connect() runs again when a token is given
  }
  if (!res.ok || !res.body) {
    setConn('down', 'stream refused (' + res.status + '); retrying');
    return reconnectLater();
  }
  setConn('live', 'live');
  backoffMs = 1000;
  lastData = Date.now();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      lastData = Date.now();
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        handleBlock(block);
      }
      if (buffer.length > 16 * 1024 * 1024) throw new Error('a message too large');
    }
  } catch (e) {
    if (controller.signal.aborted) return;
  }
  if (stream !== controller) return;
  setConn('down', 'reconnecting…');
  reconnectLater();
}
function watchdog() {
  if (!stream || $('conn').dataset.state !== 'live') return;
  if (Date.now() - lastData > view.heartbeatMs * 2.5) connect(); // no heartbeat: the connection is dead
}

// ── the detail panel ────────────────────────────────────────────────────────
let detailTimer = 0;
let detailSeq = 0;
function select(key) {
  view.selected = key;
  renderCounts();
  loadDetail();
}
function closeDetail() {
  view.selected = null;
  $('detail').hidden = true;
  $('detail').replaceChildren();
  $('main').classList.add('no-detail');
  renderCounts();
}
function refreshDetailSoon() {
  clearTimeout(detailTimer);
  detailTimer = setTimeout(loadDetail, 200);
}
async function loadDetail() {
  const key = view.selected;
  if (!key) return;
  const seq = ++detailSeq;
  const [kind, name] = splitKey(key);
  let res, body;
  try {
    res = await fetch('/api/v1/resources/' + encodeURIComponent(kind) + '/' + encodeURIComponent(name),
      { headers: authHeaders(), cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    body = await res.json();
  } catch (e) {
    body = { error: String(e) };
  }
  if (seq !== detailSeq || view.selected !== key) return;
  renderDetail(key, res && res.ok ? body : null, body && body.error);
}
function table(headers, rows, cls) {
  if (rows.length === 0) return el('p', { class: 'empty', text: 'none' });
  return el('table', { class: cls || '' }, [
    el('thead', null, [el('tr', null, headers.map((h) => el('th', { text: h })))]),
    el('tbody', null, rows.map((cells) => el('tr', null, cells.map((c) => typeof c === 'string' ? el('td', { text: c }) : c)))),
  ]);
}
function fieldText(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
function renderDetail(key, d, error) {
  const box = $('detail');
  $('main').classList.remove('no-detail');
  box.hidden = false;
  const close = el('button', { type: 'button', text: '×', title: 'close', 'aria-label': 'close' });
  close.addEventListener('click', closeDetail);
  if (!d) {
    box.replaceChildren(el('div', { class: 'head' }, [el('h3', { text: key }), close]), el('p', { class: 'empty', text: error || 'not found' }));
    return;
  }
  const reconcile = el('button', { id: 'reconcile', type: 'button', text: 'Reconcile now' });
  reconcile.addEventListener('click', () => action('/api/v1/reconcile/' + encodeURIComponent(d.kind) + '/' + encodeURIComponent(d.name), 'Reconcile ' + key));
  const rev = d.lastAppliedRevision;
  const facts = [
    ['Ready', d.ready + ' (' + d.status + ')'], ['Host', d.host], ['File', d.file],
    ['Generation', d.generation + (d.observedGeneration === d.generation ? ' (applied)' : ', applied: ' + (d.observedGeneration || 'none'))],
    ['Revision', rev && rev.commit ? rev.commit + (rev.dirty ? ' (dirty)' : '') : (rev && rev.dirty ? 'untracked' : '-')],
    ['Last reconcile', d.lastReconcileTime || '-'], ['Created', d.createdAt],
  ];
  if (d.message && !d.conditions.some((c) => c.message === d.message)) facts.splice(1, 0, ['Message', d.message]);
  const dl = el('dl', null, facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]));
  const nowrap = (text, cls) => el('td', { class: 'nowrap ' + (cls || ''), text: text });
  const conditions = table(['Type', 'Status', 'Reason', 'Message', 'Since'],
    d.conditions.map((c) => [nowrap(c.type), nowrap(c.status, 'ready-' + conditionHealth(c)), nowrap(c.reason), c.message, nowrap(clock(c.lastTransitionTime))]));
  const fields = table(['Field', 'Value'], Object.keys(d.fields).sort().map((k) => [k, fieldText(d.fields[k])]), 'mono');
  const inventory = table(['Type', 'Host', 'Id'], d.inventory.map((i) => [i.type, i.host, i.id]), 'mono');
  const events = table(['Time', 'Type', 'Reason', 'Message', '#'],
    d.events.slice().reverse().map((e) => [nowrap(clock(e.time)), nowrap(e.type, e.type), nowrap(e.reason), e.message, String(e.count)]));
  events.id = 'detail-events';
  box.replaceChildren(
    el('div', { class: 'head' }, [el('h3', { text: key }), reconcile, close]),
    dl,
    el('h4', { text: 'Conditions' }), conditions,
    el('h4', { text: 'Recent events' }), events,
    el('h4', { text: 'Status fields' }), fields,
    el('h4', { text: 'Inventory' }), inventory,
  );
  box.dataset.key = key;
}

// ── actions ─────────────────────────────────────────────────────────────────
async function action(path, label) {
  let res, body;
  try {
    res = await fetch(path, { method: 'POST', headers: authHeaders(), cache: 'no-store', signal: AbortSignal.timeout(ACTION_TIMEOUT_MS) });
    body = await res.json().catch(() => ({}));
  } catch (e) {
    notice(label + ': ' + String(e), true);
    return;
  }
  if (res.status === 401) {
    notice(label + ': refused, ' + (token() ? 'the API token was not accepted' : 'this needs the API token (paste it above)') + ' (401)', true);
  } else if (!res.ok) {
    notice(label + ': ' + (body.error || 'HTTP ' + res.status), true);
  } else if (body.pruned) {
    notice(label + ': released ' + body.pruned.length + ' deletion(s)', false);
  } else {
    notice(label + ': done', false);
  }
}
function renderTokenState() {
  $('token-state').textContent = token() ? 'token set (this tab only)' : 'no token: read-only';
}

// ── start ───────────────────────────────────────────────────────────────────
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('token').value.trim();
  if (!t) return;
  try { sessionStorage.setItem(TOKEN_KEY, t); } catch (err) { notice('cannot keep the token: ' + String(err), true); }
  $('token').value = '';
  renderTokenState();
  connect();
});
$('token-forget').addEventListener('click', () => {
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (err) { /* nothing kept */ }
  renderTokenState();
});
$('prune-confirm').addEventListener('click', () => action('/api/v1/prune/confirm', 'Release held deletions'));
$('source-refresh').addEventListener('click', () => action('/api/v1/source/refresh', 'Refresh source'));
$('filter').addEventListener('input', applyFilter);
$('not-ready').addEventListener('change', applyFilter);
renderTokenState();
renderEvents();
setInterval(refreshAges, 5000);
setInterval(watchdog, 5000);
connect();
`;
