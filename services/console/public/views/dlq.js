import { live } from '../api.js';
import { h, liveBadge, render, table, when } from '../dom.js';
import { clearError, confirmedAction, showError, showInfo } from '../ui.js';

const ORIGINS = ['ledger', 'assignment-worker', 'housekeeping'];

/** #/dlq?origin=…: dead letters, newest first (never the payload); redrive or purge, each audited. */
export function dlqView(el, params) {
  const origin = params.get('origin') ?? '';
  const badge = liveBadge();
  const body = h('div', {}, h('p', { class: 'muted' }, 'loading…'));
  const select = h(
    'select',
    { 'data-testid': 'dlq-origin', onchange: (e) => (window.location.hash = e.target.value ? `#/dlq?origin=${e.target.value}` : '#/dlq') },
    h('option', { value: '' }, 'every origin'),
    ORIGINS.map((o) => h('option', { value: o, selected: o === origin }, o)),
  );
  render(el, h('h2', {}, 'Dead letters ', badge.el), h('p', {}, h('label', {}, 'origin ', select)), body);
  const q = new URLSearchParams({ limit: '200' });
  if (origin) q.set('origin', origin);
  return live('/api/dlq?' + q.toString(), {
    onUpdate: ({ messages }) => {
      clearError();
      const rows = messages.map((m) =>
        h(
          'tr',
          { 'data-testid': `dlq-row-${m.seq}`, 'data-reason': m.reason },
          h('td', {}, String(m.seq)),
          h('td', {}, when(m.received_at)),
          h('td', {}, m.origin),
          h('td', { 'data-testid': 'dlq-reason' }, m.reason),
          h('td', { class: 'mono' }, m.original_subject ?? '-'),
          h('td', {}, `${m.size}B${m.truncated ? ' (cut)' : ''}`),
          h('td', {}, m.detail ?? '-'),
          h('td', { class: 'actions' }, buttons(m)),
        ),
      );
      render(body, table('dlq-table', ['SEQ', 'RECEIVED', 'ORIGIN', 'REASON', 'ORIGINAL SUBJECT', 'SIZE', 'DETAIL', ''], rows, 'no dead letters'));
    },
    onProblem: showError,
    onState: badge.set,
  });
}

function buttons(m) {
  const act = (label, testid, suffix, extra, text, done) =>
    h(
      'button',
      {
        'data-testid': testid,
        class: suffix === 'purge' || extra.force ? 'danger' : '',
        onclick: async () => {
          const answer = await confirmedAction({ title: `${label} #${m.seq}?`, text, submit: label }, `/api/dlq/${m.seq}/${suffix}`, extra);
          if (answer !== null) showInfo(done(answer));
        },
      },
      label,
    );
  return [
    act('Redrive', 'dlq-redrive', 'redrive', {}, `Publish it again to ${m.original_subject ?? 'its origin'}, then remove it here.`, (a) => `redriven as #${a.redriven_seq} of ${a.stream}`),
    act('Force redrive', 'dlq-force-redrive', 'redrive', { force: true }, `Redrive although its reason (${m.reason}) will likely fail again.`, (a) => `redriven as #${a.redriven_seq} of ${a.stream}`),
    act('Purge', 'dlq-purge', 'purge', {}, 'Delete it for good; its reason, subject and size stay in the audit record.', (a) => `purged #${a.seq}`),
  ];
}
