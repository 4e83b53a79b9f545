// Time-series charts drawn with uPlot (served from node_modules as an ES module). Each chart is a
// <figure> with a caption, its own legend (totals per series), the canvas (role="img" with a
// summary label) and the same numbers as a data table for screen readers and 200 % zoom.

import { dateFormat, duration, esc, number } from './format.js';

// Loaded on its own so a chart library failure leaves every number readable in the tables.
const uPlot = await import('./vendor/uplot.js').then(
  (m) => m.default,
  (error) => {
    console.warn(`Charts unavailable: ${error.message}`);
    return null;
  },
);

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const live = new Set();

const timeLabel = dateFormat({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/**
 * HTML of a chart; `mountCharts` draws it. `spec`: { id, title, x: epoch seconds[], unit: 'count'|'ms',
 * series: [{ label, color: css variable, values: (number|null)[] }] }.
 */
export function chartHtml(spec) {
  const fmt = spec.unit === 'ms' ? duration : number;
  const summary = spec.series
    .map((s) => {
      const values = s.values.filter((v) => v !== null);
      const shown =
        spec.unit === 'ms' ? (values.length ? Math.max(...values) : null) : values.reduce((a, b) => a + b, 0);
      return { label: s.label, color: s.color, shown };
    })
    .map((s) => ({ ...s, text: spec.unit === 'ms' ? `max ${s.shown === null ? '—' : fmt(s.shown)}` : fmt(s.shown) }));
  const label = `${spec.title}: ${summary.map((s) => `${s.label} ${s.text}`).join(', ')}`;
  return `<figure class="chart" id="${esc(spec.id)}" data-chart="${esc(spec.id)}">
<figcaption>${esc(spec.title)}</figcaption>
<ul class="legend">${summary
    .map(
      (s) =>
        `<li><span class="swatch" style="background:var(${s.color})"></span>${esc(s.label)}: <strong>${esc(s.text)}</strong></li>`,
    )
    .join('')}</ul>
<div class="plot" role="img" aria-label="${esc(label)}"></div>
<details><summary>Data table</summary><div class="scroll"><table><thead><tr><th scope="col">Time</th>${spec.series
    .map((s) => `<th scope="col" class="num">${esc(s.label)}</th>`)
    .join('')}</tr></thead><tbody>${spec.x
    .map(
      (t, i) =>
        `<tr><td>${esc(timeLabel.format(new Date(t * 1000)))}</td>${spec.series
          .map((s) => `<td class="num">${s.values[i] === null ? '—' : esc(fmt(s.values[i]))}</td>`)
          .join('')}</tr>`,
    )
    .join('')}</tbody></table></div></details>
</figure>`;
}

/** Draw every chart spec into its figure (after the view's HTML is in the page). */
export function mountCharts(root, specs) {
  destroyCharts();
  for (const spec of specs) {
    const figure = root.querySelector(`#${CSS.escape(spec.id)}`);
    const target = figure?.querySelector('.plot');
    if (!target || !uPlot) continue;
    const axis = { stroke: css('--fg'), grid: { stroke: css('--line'), width: 1 }, ticks: { stroke: css('--line') } };
    const chart = new uPlot(
      {
        width: Math.max(240, target.clientWidth),
        height: 180,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          axis,
          {
            ...axis,
            size: 60,
            // Counts tick at whole numbers only (no "0.5 runs").
            ...(spec.unit === 'ms'
              ? {}
              : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 1e5, 1e6] }),
            values: (_u, ticks) => ticks.map((v) => (spec.unit === 'ms' ? duration(v) : number(v))),
          },
        ],
        series: [
          {},
          ...spec.series.map((s) => ({
            label: s.label,
            stroke: css(s.color),
            width: 2,
            points: { show: true, size: 5 },
            spanGaps: false,
          })),
        ],
      },
      [spec.x, ...spec.series.map((s) => s.values)],
      target,
    );
    // What tests and people can read back: how many points the chart actually drew.
    figure.dataset.points = String(chart.data[0].length);
    figure.dataset.series = String(chart.series.length - 1);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, target.clientWidth), height: 180 }));
    resize.observe(target);
    live.add({ chart, resize });
  }
}

/** Free the previous view's charts (called on every navigation). */
export function destroyCharts() {
  for (const { chart, resize } of live) {
    resize.disconnect();
    chart.destroy();
  }
  live.clear();
}
