/**
 * The status page's HTML, served at `/`: a static shell with no data and no token in it (the script fills it from
 * the API and the live stream), so it may be served to anyone who can name the endpoint, even with `--allow-remote`.
 * No inline script or style: the Content-Security-Policy allows only this origin's `/ui/app.js` and `/ui/app.css`.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>homeostat</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<header>
  <h1>homeostat</h1>
  <span id="conn" class="conn" data-state="connecting">connecting…</span>
  <form id="token-form" autocomplete="off">
    <input id="token" type="password" placeholder="API token (needed for actions)" aria-label="API token" spellcheck="false">
    <button id="token-use" type="submit">Use token</button>
    <button id="token-forget" type="button">Forget</button>
    <span id="token-state"></span>
  </form>
</header>
<main id="main" class="no-detail">
  <section id="overview" aria-label="controller">
    <div><h2>Resources</h2><div id="counts"></div></div>
    <div><h2>Controller</h2><div id="controller"></div><button id="prune-confirm" class="danger" type="button" hidden>Release held deletions</button></div>
    <div id="source-box" hidden><h2>Source</h2><div id="source"></div><button id="source-refresh" type="button">Refresh source</button></div>
  </section>
  <section id="resources" aria-label="resources">
    <div class="toolbar">
      <input id="filter" type="search" placeholder="filter: kind, name, host, reason" aria-label="filter">
      <label><input id="not-ready" type="checkbox"> not Ready only</label>
    </div>
    <table id="resource-table">
      <thead><tr><th>Kind</th><th>Name</th><th>Host</th><th>Ready</th><th>Reason</th><th>Message</th><th>Age</th><th>Revision</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <p id="no-rows" class="empty" hidden>No resources.</p>
  </section>
  <aside id="detail" aria-label="resource detail" hidden></aside>
  <section id="activity" aria-label="recent events"><h2>Recent events</h2><ol id="events"></ol><p id="no-events" class="empty">No events since this page connected.</p></section>
</main>
<div id="notice" role="status" aria-live="polite"></div>
</body>
</html>
`;
