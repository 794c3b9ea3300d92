// The console's single page: hash routes, each view a module that renders
// into <main id="view"> and returns a function that stops its live updates.

import { loadSession, postJson } from './api.js';
import { clearError, showError } from './ui.js';
import { dlqView } from './views/dlq.js';
import { healthView } from './views/health.js';
import { locksView } from './views/locks.js';
import { runView } from './views/run.js';
import { runsView } from './views/runs.js';

const ROUTES = [
  { pattern: /^#\/runs\/([0-9a-fA-F-]{36})$/, view: runView, nav: 'nav-runs' },
  { pattern: /^#\/runs$/, view: runsView, nav: 'nav-runs' },
  { pattern: /^#\/locks$/, view: locksView, nav: 'nav-locks' },
  { pattern: /^#\/dlq$/, view: dlqView, nav: 'nav-dlq' },
  { pattern: /^#\/health$/, view: healthView, nav: 'nav-health' },
];

let stop = null;

function route() {
  stop?.();
  stop = null;
  clearError();
  const hash = window.location.hash || '#/runs';
  const [path, query = ''] = hash.split('?');
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m !== null);
  if (!match) {
    window.location.hash = '#/runs';
    return;
  }
  for (const a of document.querySelectorAll('.top nav a')) a.classList.toggle('active', a.dataset.testid === match.r.nav);
  const el = document.getElementById('view');
  el.replaceChildren();
  stop = match.r.view(el, new URLSearchParams(query), match.m.slice(1)) ?? null;
}

async function main() {
  document.getElementById('banner-error-close').addEventListener('click', clearError);
  try {
    const session = await loadSession();
    document.getElementById('principal').textContent = session.principal;
    const logout = document.getElementById('logout');
    // proxy mode: the proxy signs out, not the console
    logout.hidden = session.via !== 'session';
    logout.addEventListener('click', async () => {
      await postJson('/logout', {}).catch(() => undefined);
      window.location.assign('/login');
    });
  } catch (err) {
    showError(err);
    return;
  }
  window.addEventListener('hashchange', route);
  route();
}

void main();
