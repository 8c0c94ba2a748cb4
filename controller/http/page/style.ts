/**
 * The status page's stylesheet, served at `/ui/app.css` (a string in a module, so the bundled CLI carries it:
 * no file to find at run time). Light and dark from the system setting; no external fonts or images.
 */
export const PAGE_CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f7f7f5; --fg: #1d1d1b; --muted: #6b6b66; --line: #deded8; --panel: #ffffff;
  --ok: #1f7a3a; --bad: #b3261e; --unknown: #8a6d00; --accent: #2856b8; --hover: #eef2fb; --sel: #dde6fa;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #161715; --fg: #e6e6e1; --muted: #9b9b94; --line: #33342f; --panel: #1e1f1c;
    --ok: #5cc77a; --bad: #ff7b6e; --unknown: #e0b948; --accent: #8fb0ff; --hover: #252a35; --sel: #2c3550; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 18px; margin: 0 8px 0 0; letter-spacing: .02em; }
.conn { font-size: 12px; padding: 2px 8px; border-radius: 10px; border: 1px solid var(--line); color: var(--muted); }
.conn[data-state="live"] { color: var(--ok); border-color: var(--ok); }
.conn[data-state="down"], .conn[data-state="needs-token"] { color: var(--bad); border-color: var(--bad); }
#token-form { margin-left: auto; display: flex; gap: 6px; align-items: center; }
#token-form input { width: 22em; }
#token-state { font-size: 12px; color: var(--muted); }
input, button { font: inherit; color: inherit; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 3px 8px; }
button { cursor: pointer; }
button:hover { border-color: var(--accent); }
button.danger { border-color: var(--bad); color: var(--bad); }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(320px, 36%); gap: 16px; padding: 12px 16px; }
main.no-detail { grid-template-columns: minmax(0, 1fr); }
section, aside { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
#resources { overflow-x: auto; }
#overview { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: flex-start; }
#overview h2, aside h2, #activity h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 6px; }
#counts .count { font-size: 20px; font-weight: 600; margin-right: 14px; }
#counts .label { color: var(--muted); margin-right: 4px; }
.cond { display: flex; gap: 8px; align-items: baseline; }
.cond .msg { color: var(--muted); max-width: 60ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#source .field { margin-right: 12px; }
.toolbar { display: flex; gap: 12px; align-items: center; margin-bottom: 8px; }
.toolbar input[type="search"] { width: 18em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--panel); }
#rows tr { cursor: pointer; }
#rows tr:hover { background: var(--hover); }
#rows tr.selected { background: var(--sel); }
#rows td { white-space: nowrap; }
/* The message takes the room the other columns leave, cut with an ellipsis (its title holds it whole). */
td.message { color: var(--muted); width: 100%; max-width: 0; overflow: hidden; text-overflow: ellipsis; }
td.revision, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
.ready-True { color: var(--ok); font-weight: 600; }
.ready-False { color: var(--bad); font-weight: 600; }
.ready-Unknown { color: var(--unknown); font-weight: 600; }
.ready-neutral { color: var(--muted); }
.Warning { color: var(--bad); }
aside { align-self: start; position: sticky; top: 12px; max-height: calc(100vh - 24px); overflow: auto; }
aside .head { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
aside .head h3 { margin: 0; font-size: 16px; flex: 1; word-break: break-all; }
aside dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 12px; }
aside dt { color: var(--muted); }
aside dd { margin: 0; word-break: break-all; }
aside h4 { margin: 14px 0 4px; font-size: 13px; }
aside td { font-size: 12px; overflow-wrap: anywhere; }
aside td.nowrap { white-space: nowrap; overflow-wrap: normal; }
#activity { grid-column: 1 / -1; }
#activity ol { list-style: none; margin: 0; padding: 0; max-height: 14em; overflow: auto; }
#activity li { padding: 2px 0; border-bottom: 1px dotted var(--line); font-size: 12px; }
#activity .time { color: var(--muted); margin-right: 8px; font-family: ui-monospace, monospace; }
#notice { position: fixed; bottom: 14px; right: 14px; max-width: 40em; padding: 8px 12px; border-radius: 6px; background: var(--panel);
  border: 1px solid var(--accent); box-shadow: 0 2px 8px rgba(0,0,0,.15); }
#notice.error { border-color: var(--bad); color: var(--bad); }
#notice:empty { display: none; }
.empty { color: var(--muted); font-style: italic; }
[hidden] { display: none !important; }
`;
