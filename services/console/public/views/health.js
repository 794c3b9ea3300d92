import { live } from '../api.js';
import { h, liveBadge, render, table } from '../dom.js';
import { clearError, showError } from '../ui.js';

/** #/health: micro-service instances, consumer lags and pullers, stream sizes — live. */
export function healthView(el) {
  const badge = liveBadge();
  const body = h('div', {}, h('p', { class: 'muted' }, 'loading…'));
  render(el, h('h2', {}, 'Health ', badge.el), body);
  return live('/api/health', {
    onUpdate: (health) => {
      clearError();
      render(body, h('div', { class: 'grid' }, services(health.services), consumers(health.consumers), streams(health.streams)));
    },
    onProblem: showError,
    onState: badge.set,
  });
}

const pill = (ok, text) => h('span', { class: ok ? 'pill ok' : 'pill bad' }, text);

function services(list) {
  return h(
    'div',
    { class: 'card', 'data-testid': 'health-services' },
    h('h3', {}, 'Services'),
    list.map((s) =>
      h(
        'section',
        { 'data-testid': `service-${s.name}`, 'data-instances': String(s.instances.length) },
        h('h4', {}, `${s.name} `, pill(s.instances.length > 0, `${s.instances.length} instance(s)`)),
        table(
          `service-${s.name}-instances`,
          ['ID', 'VERSION', 'UPTIME', 'REQUESTS', 'ERRORS'],
          s.instances.map((i) =>
            h('tr', { 'data-testid': 'health-instance' }, h('td', { class: 'mono' }, i.id), h('td', {}, i.version), h('td', {}, `${i.uptime_seconds}s`), h('td', {}, String(i.requests)), h('td', {}, String(i.errors))),
          ),
          'no instance answers — not running?',
        ),
      ),
    ),
  );
}

function consumers(list) {
  const rows = list.map((c) =>
    h(
      'tr',
      { 'data-testid': `consumer-${c.consumer}`, 'data-ok': String(c.ok) },
      h('td', {}, `${c.stream} / ${c.consumer}`),
      h('td', {}, c.ok ? String(c.num_pending) : '-'),
      h('td', {}, c.ok ? String(c.num_ack_pending) : '-'),
      h('td', {}, c.ok ? pill(c.num_waiting > 0, String(c.num_waiting)) : pill(false, c.error ?? 'unreadable')),
    ),
  );
  return h('div', { class: 'card' }, h('h3', {}, 'Consumers'), table('health-consumers', ['CONSUMER', 'PENDING', 'ACK PENDING', 'PULLERS WAITING'], rows, 'none'));
}

function streams(list) {
  const rows = list.map((s) =>
    h(
      'tr',
      { 'data-testid': `stream-${s.stream}`, 'data-ok': String(s.ok) },
      h('td', {}, s.stream),
      h('td', {}, s.ok ? String(s.messages) : pill(false, s.error ?? 'unreadable')),
      h('td', {}, s.oldest_age_seconds === null ? '-' : `${s.oldest_age_seconds}s`),
      h('td', {}, s.ok ? String(s.consumers) : '-'),
    ),
  );
  return h('div', { class: 'card' }, h('h3', {}, 'Streams'), table('health-streams', ['STREAM', 'MESSAGES', 'OLDEST', 'CONSUMERS'], rows, 'none'));
}
