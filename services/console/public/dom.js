// Building DOM without innerHTML: every text is a text node, so nothing the
// API returns (a reason, a dead letter's detail) can become markup.

/** h('td', {class: 'mono', 'data-testid': 'x'}, child, …) — children are nodes, strings, numbers or arrays of them. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A table: headers and rows (each row an element <tr> built by the caller). */
export function table(testid, headers, rows, empty) {
  return h(
    'table',
    { 'data-testid': testid },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.length > 0 ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted', 'data-testid': testid + '-empty' }, empty))),
  );
}

/** `processed/total (failed N)`, `-` before the first progress event (as `opsctl runs show`). */
export function counters(run) {
  const c = run.summary_counts ?? {};
  if (c.total === undefined && c.processed === undefined) return '-';
  return `${c.processed ?? 0}/${c.total ?? 0} (failed ${c.failed ?? 0})`;
}

export function when(iso) {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Replaces the content of el with the nodes given. */
export function render(el, ...nodes) {
  el.replaceChildren();
  append(el, nodes);
}

/** A small "live" indicator that a view updates by itself. */
export function liveBadge() {
  const badge = h('span', { class: 'live off', 'data-testid': 'live-state' }, 'live');
  return {
    el: badge,
    set(on) {
      badge.className = on ? 'live on' : 'live off';
      badge.dataset.state = on ? 'on' : 'off';
    },
  };
}
