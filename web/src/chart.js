// uPlot line charts over a series of runs: one point per run, clickable.
import uPlot from 'uplot';
import { el } from './util.js';

// A chart of `values` (one per run, null for none) against run index.
// onPick(i) is called with the run's index when a point is clicked.
export function runSeriesChart({ title, values, labels, width, height = 180, onPick, color = '#2563eb', testid, xSize = 34 }) {
  const xs = values.map((_, i) => i);
  const box = el('div.chart', { dataset: { chart: testid || title, points: String(values.length),
    values: String(values.filter((v) => v !== null && v !== undefined).length) } });
  const opts = {
    title,
    width,
    height,
    legend: { show: false },
    padding: [8, 28, 0, 8],
    cursor: { points: { size: 9 }, drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [
      { values: (u, splits) => splits.map((s) => (Number.isInteger(s) && labels[s] !== undefined ? labels[s] : '')),
        size: xSize, gap: 4, font: '11px system-ui' },
      { size: 50, font: '11px system-ui' },
    ],
    series: [
      {},
      { label: title, stroke: color, width: 2, spanGaps: true, points: { show: true, size: 7, fill: color } },
    ],
    hooks: {
      setCursor: [(u) => {
        const i = u.cursor.idx;
        box.title = i === null || i === undefined ? '' : `${labels[i].replace('\n', ' ')}: ${values[i] === null ? '–' : values[i]}`;
      }],
    },
  };
  const u = new uPlot(opts, [xs, values], box);
  u.over.style.cursor = 'pointer';
  u.over.addEventListener('click', () => {
    const i = u.cursor.idx;
    if (i !== null && i !== undefined && onPick) onPick(i);
  });
  box._uplot = u; // for tests: point positions
  return box;
}

// A time-series chart (the replay's curves), with a moving cursor line at `t`.
export function timeChart({ title, xs, series, width, height = 150, onSeek }) {
  let marker = 0;
  const box = el('div.chart', { dataset: { chart: title, points: String(xs.length) } });
  const u = new uPlot({
    title,
    width,
    height,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [{ label: 't [s]', size: 36, font: '11px system-ui', labelFont: '11px system-ui' },
      { size: 46, font: '11px system-ui' }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5 }))],
    hooks: {
      draw: [(u) => {
        const x = Math.round(u.valToPos(marker, 'x', true));
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = '#dc2626';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      }],
    },
  }, [xs, ...series.map((s) => s.values)], box);
  u.over.style.cursor = 'pointer';
  u.over.addEventListener('click', () => {
    const i = u.cursor.idx;
    if (i !== null && i !== undefined && onSeek) onSeek(i);
  });
  box.setMarker = (t) => { marker = t; u.redraw(false, false); };
  box._uplot = u;
  return box;
}
