import { source } from './source.js';

/**
 * The dashboard's page: a static shell with no data and no inline script or style (the
 * Content-Security-Policy forbids both). Everything shown comes from the authenticated APIs,
 * fetched by `/ui/main.js` with the credentials the user enters.
 */
export const SHELL_HTML = source`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>A2A gateway</title>
<link rel="stylesheet" href="/ui/dashboard.css">
<script type="module" src="/ui/main.js"></script>
</head>
<body>
<header class="top">
  <h1>A2A gateway</h1>
  <nav id="nav" hidden>
    <a href="#agents" data-view="agents">Agents</a>
    <a href="#tasks" data-view="tasks">Tasks</a>
    <a href="#dead-letters" data-view="dead-letters">Dead letters</a>
    <a href="#metrics" data-view="metrics">Metrics</a>
  </nav>
  <div class="who">
    <span id="who"></span>
    <button id="sign-out" type="button" hidden>Sign out</button>
  </div>
</header>
<div id="notice" class="notice" role="alert" hidden></div>
<section id="login" class="login" hidden>
  <h2>Sign in</h2>
  <p>This gateway requires authentication. The credential stays in this browser tab
  (sessionStorage) and is sent only to this gateway.</p>
  <form id="login-form">
    <label>Kind
      <select id="login-kind" name="kind"></select>
    </label>
    <label>Credential
      <input id="login-value" name="value" type="password" autocomplete="off" required>
    </label>
    <button type="submit">Sign in</button>
  </form>
  <p id="login-error" class="error" role="alert" hidden></p>
</section>
<main id="view"><p class="muted">Loading…</p></main>
<noscript>The dashboard needs JavaScript.</noscript>
</body>
</html>
`;
