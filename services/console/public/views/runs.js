import { getJson, live, postJson } from '../api.js';
import { counters, h, liveBadge, render, table, when } from '../dom.js';
import { clearError, showError, showInfo } from '../ui.js';

const FILTERS = ['tenant', 'type', 'status', 'outcome', 'failure_code', 'initiator', 'since', 'until', 'limit', 'cursor'];
const TYPES = ['assignments.fetch', 'assignments.restore', 'ops.reconcile_adapter_runs'];
const STATUSES = ['queued', 'running', 'completed'];
const OUTCOMES = ['pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled'];

/** #/runs?workspace=…&status=…: the filters live in the URL, so a view can be shared and reloaded. */
export function runsView(el, params) {
  let stopLive = null;
  let closed = false;
  const badge = liveBadge();
  const list = h('div', { 'data-testid': 'runs-list' }, h('p', { class: 'muted' }, 'loading…'));
  const tenantsSeen = h('datalist', { id: 'tenants-seen' });

  const go = (next) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(next)) if (v) q.set(k, v);
    window.location.hash = '#/runs?' + q.toString();
  };

  void (async () => {
    let workspaces;
    try {
      workspaces = (await getJson('/api/workspaces')).workspaces;
    } catch (err) {
      showError(err);
      return;
    }
    if (closed) return;
    const workspace = params.get('workspace') || workspaces[0]?.id || '';
    const current = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? '']));
    const select = h(
      'select',
      { 'data-testid': 'workspace-select', onchange: (e) => go({ workspace: e.target.value }) },
      workspaces.map((w) => h('option', { value: w.id, selected: w.id === workspace }, `${w.slug} (${w.id})`)),
    );
    const field = (name, label, input) => h('label', {}, label, input ?? h('input', { name, value: current[name], 'data-testid': `filter-${name.replace('_', '-')}` }));
    const choice = (name, values) =>
      h('select', { name, 'data-testid': `filter-${name}` }, h('option', { value: '' }, 'any'), values.map((v) => h('option', { value: v, selected: v === current[name] }, v)));
    const filters = h(
      'form',
      {
        class: 'filters',
        'data-testid': 'runs-filters',
        onsubmit: (e) => {
          e.preventDefault();
          const data = Object.fromEntries(new FormData(e.target));
          go({ workspace, ...data, cursor: '' });
        },
      },
      field('workspace', 'workspace', select),
      field('tenant', 'tenant id'),
      field('type', 'type', choice('type', TYPES)),
      field('status', 'status', choice('status', STATUSES)),
      field('outcome', 'outcome', choice('outcome', OUTCOMES)),
      field('failure_code', 'failure code'),
      field('initiator', 'initiator'),
      field('since', 'since (ISO-8601)'),
      field('until', 'until (ISO-8601)'),
      field('limit', 'limit'),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'filter-apply' }, 'Apply'),
      h('button', { type: 'button', 'data-testid': 'filter-clear', onclick: () => go({ workspace }) }, 'Clear'),
    );
    render(
      el,
      h('h2', {}, 'Runs ', badge.el),
      h('div', { class: 'card' }, filters),
      h('div', { class: 'card' }, dispatchForm(workspace, tenantsSeen)),
      tenantsSeen,
      list,
    );
    if (!workspace) {
      render(list, h('p', { class: 'muted' }, 'no workspace yet — run the seed'));
      return;
    }
    const q = new URLSearchParams({ workspace });
    for (const f of FILTERS) if (current[f]) q.set(f, current[f]);
    stopLive = live('/api/runs?' + q.toString(), {
      onUpdate: (page) => {
        clearError();
        render(tenantsSeen, [...new Set(page.runs.map((r) => r.tenant_id).filter(Boolean))].map((t) => h('option', { value: t })));
        render(list, runsTable(page.runs, workspace), page.next_cursor ? h('p', {}, h('a', { href: '#/runs?' + withCursor(q, page.next_cursor), 'data-testid': 'runs-next' }, 'older runs →')) : null);
      },
      onProblem: showError,
      onState: badge.set,
    });
  })();

  return () => {
    closed = true;
    stopLive?.();
  };
}

function withCursor(q, cursor) {
  const next = new URLSearchParams(q);
  next.set('cursor', cursor);
  return next.toString();
}

function runsTable(runs, workspace) {
  const rows = runs.map((r) =>
    h(
      'tr',
      { 'data-testid': `run-row-${r.id}`, 'data-status': r.status, 'data-outcome': r.outcome },
      h('td', { class: 'mono' }, h('a', { href: `#/runs/${r.id}?workspace=${workspace}`, 'data-testid': 'run-link' }, r.id)),
      h('td', { 'data-testid': 'run-type' }, r.type),
      h('td', { class: 'mono' }, r.tenant_id ?? '-'),
      h('td', { class: `status-${r.status}`, 'data-testid': 'run-status' }, r.status),
      h('td', { class: `outcome-${r.outcome}`, 'data-testid': 'run-outcome' }, r.outcome),
      h('td', { 'data-testid': 'run-counters' }, counters(r)),
      h('td', {}, String(r.attempt)),
      h('td', {}, r.initiator_name),
      h('td', {}, when(r.created_at)),
    ),
  );
  return table('runs-table', ['ID', 'TYPE', 'TENANT', 'STATUS', 'OUTCOME', 'COUNTERS', 'ATTEMPT', 'INITIATOR', 'CREATED'], rows, 'no runs match');
}

/** Dispatch: ensure_run as the signed-in principal (the initiator); dedupe and the cooldown apply. */
function dispatchForm(workspace, tenantsSeen) {
  const result = h('span', { 'data-testid': 'dispatch-result', class: 'muted' });
  return h(
    'form',
    {
      class: 'dispatch',
      'data-testid': 'dispatch-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const data = new FormData(e.target);
        const policies = String(data.get('policies') ?? '')
          .split(/[\s,]+/)
          .filter(Boolean);
        try {
          const answer = await postJson('/api/dispatch', { workspace, type: data.get('type'), tenant: data.get('tenant'), policies });
          clearError();
          render(result, `${answer.disposition}: run `, h('a', { href: `#/runs/${answer.run_id}?workspace=${workspace}`, 'data-testid': 'dispatch-run-link' }, answer.run_id));
          showInfo(`dispatch: ${answer.disposition} — run ${answer.run_id}`);
        } catch (err) {
          showError(err);
        }
      },
    },
    h('strong', {}, 'Dispatch'),
    h('label', {}, 'type', h('select', { name: 'type', 'data-testid': 'dispatch-type' }, TYPES.slice(0, 2).map((t) => h('option', { value: t }, t)))),
    h('label', {}, 'tenant id', h('input', { name: 'tenant', required: true, list: tenantsSeen.id, size: 38, 'data-testid': 'dispatch-tenant' })),
    h('label', {}, 'policy ids (optional, comma-separated; none = all)', h('input', { name: 'policies', size: 40, 'data-testid': 'dispatch-policies' })),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'dispatch-submit' }, 'Dispatch'),
    result,
  );
}
