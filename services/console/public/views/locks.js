import { live } from '../api.js';
import { h, liveBadge, render, table } from '../dom.js';
import { clearError, confirmedAction, showError, showInfo } from '../ui.js';

/** #/locks: the ops_locks bucket, live; release by compare-and-set through the ledger. */
export function locksView(el) {
  const badge = liveBadge();
  const body = h('div', {}, h('p', { class: 'muted' }, 'loading…'));
  render(el, h('h2', {}, 'Locks ', badge.el), h('p', { class: 'muted' }, 'running = a holder renews it; completed = the identity cools down.'), body);
  return live('/api/locks', {
    onUpdate: ({ locks }) => {
      clearError();
      const rows = locks.map((l) =>
        h(
          'tr',
          { 'data-testid': `lock-row-${l.key}`, 'data-state': l.state },
          h('td', { class: 'mono' }, l.key),
          h('td', { class: 'mono' }, l.run_id ?? '-'),
          h('td', { 'data-testid': 'lock-state' }, l.state),
          h('td', {}, l.attempt === null ? '-' : String(l.attempt)),
          h('td', { class: 'mono' }, l.owner ?? '-'),
          h('td', {}, `${l.age_seconds}s`),
          h('td', { class: 'actions' }, buttons(l)),
        ),
      );
      render(body, table('locks-table', ['KEY', 'RUN', 'STATE', 'ATTEMPT', 'OWNER', 'AGE', ''], rows, 'no locks'));
    },
    onProblem: showError,
    onState: badge.set,
  });
}

function buttons(lock) {
  const release = (label, testid, extra, text) =>
    h(
      'button',
      {
        'data-testid': testid,
        class: extra.force ? 'danger' : '',
        onclick: async () => {
          const answer = await confirmedAction(
            { title: `${label}?`, text: `${lock.key} (${lock.state}). ${text}`, submit: label },
            `/api/locks/${encodeURIComponent(lock.key)}/release`,
            extra,
          );
          if (answer !== null) showInfo(`released ${answer.key} (holder ${answer.holder})`);
        },
      },
      label,
    );
  return [
    release('Release', 'lock-release', {}, 'Released only when its holder is stale or gone.'),
    release('Force release', 'lock-force-release', { force: true }, 'Released even if its holder renews it: the holder is fenced and stops.'),
    release('Release cooldown', 'lock-release-cooldown', { cooldown: true }, 'Ends the cooldown of a completed identity: a new run is possible at once.'),
  ];
}
