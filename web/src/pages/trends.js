// #/trends: the score and every metric across a series of runs (the nightly
// history of one suite), one point per run; a point opens its run.
import { api } from '../api.js';
import { el, hashFor, errorBox, short, when, clear } from '../util.js';
import { runSeriesChart } from '../chart.js';

export async function trendsPage(root, params) {
  let runs;
  try {
    runs = await api('runs');
  } catch (e) {
    root.append(errorBox(e.message));
    return {};
  }
  // Default series: the suite with the most runs.
  const suites = [...runs.suites].sort((a, b) => b.runs - a.runs);
  const suite = el('select', { dataset: { testid: 'trends-suite' } },
    el('option', { value: '', text: 'every suite' }),
    suites.map((s) => el('option', { value: s.suite_sha256, text: `suite ${short(s.suite_sha256, 8)} (${s.runs} runs)` })));
  suite.value = params.suite !== undefined ? params.suite : (suites[0] ? suites[0].suite_sha256 : '');
  const planner = el('select', { dataset: { testid: 'trends-planner' } },
    el('option', { value: '', text: 'every planner' }),
    runs.planners.map((p) => el('option', { value: p, text: p })));
  planner.value = params.planner || '';
  const name = el('input', { type: 'search', placeholder: 'run name contains…', value: params.q || '',
    dataset: { testid: 'trends-name' } });
  const info = el('div.summary-line');
  const charts = el('div.charts', { dataset: { testid: 'trend-charts' } });
  const go = () => {
    location.hash = hashFor('trends', { suite: suite.value, planner: planner.value, q: name.value });
  };
  suite.addEventListener('change', go);
  planner.addEventListener('change', go);
  name.addEventListener('change', go);
  root.append(el('h1', { text: 'Trends' }), el('div.toolbar', {}, suite, planner, name), info, charts);

  async function load() {
    let t;
    try {
      t = await api('trends', { suite: suite.value, planner: planner.value, q: name.value });
    } catch (e) {
      clear(charts).append(errorBox(e.message));
      return;
    }
    clear(charts);
    info.textContent = `${t.runs.length} runs, oldest first; click a point to open its run`;
    info.dataset.runs = String(t.runs.length);
    if (t.runs.length === 0) return;
    const labels = t.runs.map((r) => `${r.id}`);
    const full = Math.max(320, Math.min(root.clientWidth || 1100, 1200) - 10);
    const small = Math.floor((full - 20) / 3);
    const pick = (i) => { location.hash = '#/runs/' + t.runs[i].id; };
    charts.append(el('div.chart-full', {}, runSeriesChart({
      title: 'score', testid: 'score', values: t.runs.map((r) => r.values[0]),
      labels: t.runs.map((r) => `run ${r.id}\n${when(r.started_at).slice(5)}`), width: full, height: 250, onPick: pick,
      xSize: 44 })));
    const grid = el('div.chart-grid');
    t.metrics.forEach((m, k) => {
      if (k === 0) return;
      const values = t.runs.map((r) => r.values[k]);
      if (values.every((v) => v === null)) return;
      grid.append(runSeriesChart({ title: m, testid: m, values, labels, width: small, height: 160, onPick: pick,
        color: '#0f766e' }));
    });
    charts.append(grid);
  }
  await load();
  return { refresh: load };
}
