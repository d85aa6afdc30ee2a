import { source } from './source.js';

/** The dashboard's one stylesheet, served as `/ui/dashboard.css`. */
export const DASHBOARD_CSS = source`
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #677085; --line: #dde1e8;
  --accent: #2d5bd7; --ok: #18794e; --warn: #a35200; --bad: #c4252d; --info: #3b5bcc;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
[hidden] { display: none !important; }
.top {
  display: flex; gap: 1.5rem; align-items: center; padding: 0.6rem 1.2rem;
  background: #1d2330; color: #fff;
}
.top h1 { font-size: 1.05rem; margin: 0; }
.top nav { display: flex; gap: 0.3rem; flex: 1; }
.top nav a { color: #c9d3ea; text-decoration: none; padding: 0.3rem 0.7rem; border-radius: 4px; }
.top nav a.active, .top nav a:hover { background: #38415a; color: #fff; }
.who { display: flex; gap: 0.6rem; align-items: center; margin-left: auto; color: #c9d3ea; }
main { padding: 1rem 1.2rem; max-width: 1200px; }
h2 { font-size: 1.15rem; margin: 0.2rem 0 0.8rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.5rem; }
.panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: 0.8rem 1rem; margin-bottom: 1rem;
}
.notice {
  margin: 0.8rem 1.2rem 0; padding: 0.6rem 0.9rem; border-radius: 6px;
  background: #fdecec; border: 1px solid #f3b9bc; color: var(--bad);
}
.login { max-width: 480px; margin: 2rem auto; background: var(--panel); padding: 1.2rem;
  border: 1px solid var(--line); border-radius: 6px; }
.login form { display: grid; gap: 0.7rem; }
label { display: grid; gap: 0.2rem; color: var(--muted); font-size: 0.85rem; }
input, select, textarea, button { font: inherit; }
input, select, textarea { padding: 0.35rem 0.5rem; border: 1px solid var(--line); border-radius: 4px;
  color: var(--ink); background: #fff; }
button { padding: 0.35rem 0.9rem; border: 1px solid var(--accent); background: var(--accent);
  color: #fff; border-radius: 4px; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button:disabled { opacity: 0.5; cursor: default; }
.error { color: var(--bad); }
.muted { color: var(--muted); }
.filters, .send { display: flex; gap: 0.8rem; flex-wrap: wrap; align-items: end; }
.send input[name=text] { min-width: 22rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 0.8rem; text-transform: uppercase; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85rem; }
tr.clickable { cursor: pointer; }
tr.clickable:hover { background: #f0f3fa; }
.state { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.78rem;
  font-weight: 600; background: #e8ebf1; color: var(--ink); white-space: nowrap; }
.state.completed, .state.ok, .state.up, .state.resolved { background: #dcf3e6; color: var(--ok); }
.state.working, .state.submitted, .state.retrying, .state.pending_retry { background: #e3e9fb; color: var(--info); }
.state.failed, .state.rejected, .state.permanent_failure, .state.unavailable { background: #fbe1e2; color: var(--bad); }
.state.input-required, .state.auth-required, .state.canceled, .state.degraded { background: #fdf0dc; color: var(--warn); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1rem; }
.card h3 { margin-top: 0; display: flex; gap: 0.5rem; align-items: center; }
.card dl, .kv { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.8rem; margin: 0.4rem 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.skills { margin: 0.3rem 0 0; padding-left: 1.1rem; }
pre { background: #f3f4f7; padding: 0.6rem; border-radius: 4px; overflow: auto; max-height: 22rem;
  font-size: 0.8rem; margin: 0.4rem 0; }
details summary { cursor: pointer; color: var(--accent); }
.timeline { list-style: none; margin: 0; padding: 0; }
.timeline li { display: grid; grid-template-columns: 7.5rem 12rem 1fr; gap: 0.6rem;
  padding: 0.45rem 0; border-bottom: 1px solid var(--line); }
.timeline .when { color: var(--muted); font-family: ui-monospace, monospace; font-size: 0.8rem; }
.timeline .type { font-weight: 600; font-size: 0.85rem; }
.live { font-size: 0.8rem; color: var(--muted); }
.live.on::before { content: "● "; color: var(--ok); }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.metrics-lines { max-height: 16rem; }
.toolbar { display: flex; gap: 0.6rem; align-items: center; margin-bottom: 0.6rem; }
.toolbar .spacer { flex: 1; }
`;
