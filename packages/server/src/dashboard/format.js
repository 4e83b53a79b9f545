// Formatting for people: relative times with the exact local time on hover, human durations,
// shortened ids with a copy button. Everything returned is HTML with values escaped.

/** Escape a value for HTML text and double-quoted attributes. */
export const esc = (v) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** Postgres text (`2026-12-02 00:07:25.877265+00`) or ISO → Date, or null. */
export function parseTime(value) {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value)
    .replace(' ', 'T')
    .replace(/([+-]\d\d)$/, '$1:00');
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "just now", "2 min ago", "in 3 h", "5 d ago". */
export function relative(date, now = Date.now()) {
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 10
      ? [0, 'now']
      : abs < 60
        ? [abs, 's']
        : abs < 3600
          ? [Math.round(abs / 60), 'min']
          : abs < 86400
            ? [Math.round(abs / 3600), 'h']
            : [Math.round(abs / 86400), 'd'];
  if (unit === 'now') return 'just now';
  return seconds < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
}

/** The browser's own date format; some headless setups report a locale Intl rejects (en-US@posix). */
export function dateFormat(options) {
  try {
    return new Intl.DateTimeFormat(undefined, options);
  } catch {
    return new Intl.DateTimeFormat('en-US', options);
  }
}

const exactFormat = dateFormat({ dateStyle: 'medium', timeStyle: 'medium' });

/** `<time>` showing "2 min ago"; hovering (title) shows the exact local time. Refreshed by app.js. */
export function when(value) {
  const date = parseTime(value);
  if (!date) return '<span class="muted">—</span>';
  const exact = exactFormat.format(date);
  return `<time datetime="${esc(date.toISOString())}" title="${esc(exact)}" data-relative>${esc(relative(date))}</time>`;
}

/** 850 ms, 1.2 s, 4 min, 2.5 h. */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return '—';
  const n = Number(ms);
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} s`;
  if (n < 3_600_000) return `${Math.round(n / 60_000)} min`;
  return `${(n / 3_600_000).toFixed(1)} h`;
}

/** Milliseconds between two timestamps, or null. */
export function between(start, end) {
  const a = parseTime(start);
  const b = parseTime(end);
  return a && b ? b.getTime() - a.getTime() : null;
}

/** A long id shortened to its first 8 characters, the whole id on hover and a copy button. */
export function shortId(id) {
  const full = String(id ?? '');
  if (full.length <= 12) return `<code>${esc(full)}</code>`;
  return `<code title="${esc(full)}">${esc(full.slice(0, 8))}…</code><button type="button" class="copy" data-copy="${esc(full)}" aria-label="Copy id ${esc(full)}">copy</button>`;
}

export const badge = (state) =>
  `<span class="badge ${esc(String(state ?? '').toLowerCase())}">${esc(state ?? '—')}</span>`;

export const link = (hash, text) => `<a href="#${esc(hash)}">${esc(text)}</a>`;

export const number = (n) => Number(n ?? 0).toLocaleString('en-US');

/** `#/view?x=1` → URLSearchParams of the hash's query. */
export const params = () => new URLSearchParams(location.hash.split('?')[1] || '');

/** Build `#/view?…` from an object, dropping empty values. */
export function hashOf(view, values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `/${view}${s ? `?${s}` : ''}`;
}

/** A table inside a horizontally scrolling box (so 200 % zoom never widens the page). */
export function table(columns, rows, { empty = 'Nothing here yet.', rowAttrs = () => '' } = {}) {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  return `<div class="scroll"><table><thead><tr>${columns
    .map((c) => `<th scope="col"${c[2] ? ` class="${c[2]}"` : ''}>${esc(c[0])}</th>`)
    .join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr${rowAttrs(r)}>${columns.map((c) => `<td${c[2] ? ` class="${c[2]}"` : ''}>${c[1](r)}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table></div>`;
}

/** The failure of a run with the script's own file:line when its stack has one. */
export function failure(error) {
  if (!error) return '';
  const message = typeof error === 'string' ? error : (error.message ?? JSON.stringify(error));
  const stack = typeof error === 'object' ? String(error.stack ?? '') : '';
  const where = /([\w./-]+\.[cm]?[jt]s:\d+(?::\d+)?)/.exec(stack)?.[1];
  return `<span class="error-text">${esc(message)}</span>${where ? ` <code>${esc(where)}</code>` : ''}`;
}
