import { live } from '../api.js';
import { counters, h, liveBadge, render, table, when } from '../dom.js';
import { clearError, confirmedAction, showError, showInfo } from '../ui.js';

/** #/runs/<id>?workspace=…: the run, its failures, its timeline per attempt and its audit, updated live. */
export function runView(el, params, [runId]) {
  const workspace = params.get('workspace') ?? '';
  const badge = liveBadge();
  const body = h('div', { 'data-testid': 'run-detail' }, h('p', { class: 'muted' }, 'loading…'));
  render(el, h('p', {}, h('a', { href: `#/runs?workspace=${workspace}`, 'data-testid': 'back-to-runs' }, '← runs')), h('h2', {}, 'Run ', badge.el), body);
  if (!workspace) {
    showError({ code: 'bad_request', message: 'the link has no ?workspace=' });
    return null;
  }
  const path = `/api/runs/${runId}`;
  return live(`${path}?workspace=${encodeURIComponent(workspace)}`, {
    onUpdate: (run) => {
      clearError();
      render(body, actions(run, path, workspace), fields(run), failures(run), timeline(run), audit(run));
    },
    onProblem: showError,
    onState: badge.set,
  });
}

function actions(run, path, workspace) {
  const active = run.status !== 'completed';
  const act = async (question, suffix, extra, done) => {
    const answer = await confirmedAction(question, `${path}/${suffix}`, { workspace, ...extra });
    if (answer !== null) showInfo(done(answer));
  };
  return h(
    'div',
    { class: 'card actions', 'data-testid': 'run-actions' },
    h(
      'button',
      {
        class: 'danger',
        'data-testid': 'action-cancel',
        disabled: !active,
        onclick: () =>
          act({ title: 'Cancel this run?', text: `Run ${run.id} (${run.status}) ends cancelled; its worker is fenced.`, submit: 'Cancel run' }, 'cancel', {}, (a) => `cancelled (was ${a.previous_status})`),
      },
      'Cancel',
    ),
    h(
      'button',
      {
        'data-testid': 'action-rerun',
        disabled: active,
        onclick: () =>
          act({ title: 'Re-run this run?', text: 'A new run of the same job; dedupe and the cooldown apply.', submit: 'Re-run' }, 'rerun', {}, rerunText),
      },
      'Re-run',
    ),
    h(
      'button',
      {
        'data-testid': 'action-rerun-force',
        disabled: active,
        onclick: () =>
          act(
            { title: 'Re-run with force?', text: 'A new run even inside the cooldown (never while another run of it is active).', submit: 'Re-run with force' },
            'rerun',
            { force: true },
            rerunText,
          ),
      },
      'Re-run with force',
    ),
  );
}

function rerunText(a) {
  return a.disposition === 'created' ? `re-run created: ${a.run.id}` : `${a.disposition}: run ${a.run.id} stood in the way — nothing created`;
}

function fields(run) {
  const row = (label, value, testid) => [h('dt', {}, label), h('dd', { 'data-testid': testid }, value)];
  return h(
    'div',
    { class: 'card' },
    h(
      'dl',
      { class: 'fields' },
      row('id', run.id, 'run-id'),
      row('type', run.type, 'run-type'),
      row('workspace', run.workspace_id, 'run-workspace'),
      row('tenant', run.tenant_id ?? '-', 'run-tenant'),
      [h('dt', {}, 'status'), h('dd', { class: `status-${run.status}`, 'data-testid': 'run-status' }, run.status)],
      [h('dt', {}, 'outcome'), h('dd', { class: `outcome-${run.outcome}`, 'data-testid': 'run-outcome' }, run.outcome)],
      row('counters', counters(run), 'run-counters'),
      row('attempt', String(run.attempt), 'run-attempt'),
      row('dedupe hits', String(run.dedupe_hits), 'run-dedupe-hits'),
      row('initiator', run.initiator_name, 'run-initiator'),
      row('inputs', JSON.stringify(run.context?.inputs ?? {}), 'run-inputs'),
      row('created', when(run.created_at), 'run-created'),
      row('started', when(run.started_at), 'run-started'),
      row('completed', when(run.completed_at), 'run-completed'),
    ),
  );
}

function failures(run) {
  const rows = (run.failure_summary ?? []).map((f) =>
    h('tr', { 'data-testid': 'failure-row' }, h('td', { class: 'mono' }, f.code), h('td', {}, String(f.count ?? 1)), h('td', {}, f.message)),
  );
  return [h('h3', {}, 'Failures'), table('run-failures', ['CODE', 'COUNT', 'MESSAGE'], rows, 'no failures')];
}

/** The timeline grouped per attempt (entries without an attempt — actions, heals — in their own group). */
function timeline(run) {
  const groups = new Map();
  for (const entry of run.timeline ?? []) {
    const key = entry.attempt === null || entry.attempt === undefined ? '-' : String(entry.attempt);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(entry);
  }
  const sections = [...groups.entries()].map(([attempt, entries]) =>
    h(
      'section',
      { 'data-testid': `timeline-attempt-${attempt}` },
      h('h4', {}, attempt === '-' ? 'Not tied to an attempt' : `Attempt ${attempt}`),
      table(
        `timeline-table-${attempt}`,
        ['AT', 'KIND', 'DETAIL'],
        entries.map((e) => h('tr', { 'data-testid': 'timeline-entry', 'data-kind': e.kind }, h('td', {}, when(e.at)), h('td', {}, e.kind), h('td', {}, entryDetail(e)))),
        '',
      ),
    ),
  );
  const note = run.timeline_truncated ? h('p', { class: 'muted' }, 'only the first 10,000 entries are shown') : null;
  return [h('h3', {}, 'Timeline'), h('div', { 'data-testid': 'run-timeline' }, sections.length > 0 ? sections : h('p', { class: 'muted' }, '(no events yet)'), note)];
}

function entryDetail(e) {
  const d = e.detail ?? {};
  const count = (c) => `${c?.processed ?? 0}/${c?.total ?? 0} (failed ${c?.failed ?? 0})`;
  let text;
  if (e.kind === 'progress') text = count(d.counts);
  else if (e.kind === 'completed') text = `${d.outcome ?? ''} ${count(d.counts)}${d.owner ? ` by ${d.owner}` : ''}`;
  else if (e.kind === 'started') text = d.owner ? `by ${d.owner}` : '';
  else if (e.kind === 'duplicate') text = `duplicate job skipped: ${d.reason ?? ''}`;
  else if (e.kind === 'action') text = `${d.action} by ${d.actor}: ${d.reason}`;
  else text = JSON.stringify(d);
  return d.ignored ? `${text} (ignored: ${d.ignored})` : text;
}

function audit(run) {
  const rows = (run.actions ?? []).map((a) =>
    h(
      'tr',
      { 'data-testid': 'audit-entry', 'data-action': a.action },
      h('td', {}, when(a.at)),
      h('td', { 'data-testid': 'audit-action' }, a.action),
      h('td', { 'data-testid': 'audit-actor' }, a.actor),
      h('td', { 'data-testid': 'audit-reason' }, a.reason),
    ),
  );
  return [h('h3', {}, 'Audit'), table('run-audit', ['AT', 'ACTION', 'ACTOR', 'REASON'], rows, '(no operator actions)')];
}
