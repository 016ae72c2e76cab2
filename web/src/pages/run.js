// #/runs/ID: one run: its configuration, metric means and every scenario
// (sortable, filterable), each a link to its replay. Updates while it writes.
import { api } from '../api.js';
import { el, num, when, badge, hashFor, errorBox, clear } from '../util.js';
import { Table } from '../table.js';

const SHOWN = ['at_fault_collisions', 'collisions', 'drivable_area_compliance', 'driving_direction_compliance',
  'making_progress', 'progress', 'ttc_within_bound', 'comfortable'];

export async function runPage(root, params, id) {
  const head = el('div');
  const means = el('div.means');
  const q = el('input', { type: 'search', placeholder: 'search scenario or file…', dataset: { testid: 'run-search' } });
  const status = el('select', { dataset: { testid: 'run-status' } },
    [['', 'ok and failed'], ['ok', 'ok'], ['failed', 'failed']].map(([v, t]) => el('option', { value: v, text: t })));
  const faultOnly = el('input', { type: 'checkbox', dataset: { testid: 'run-fault-only' } });
  const compareWith = el('select', { dataset: { testid: 'run-compare-with' } },
    el('option', { value: '', text: 'compare with…' }));
  compareWith.addEventListener('change', () => {
    if (compareWith.value) location.hash = hashFor('compare', { base: compareWith.value, cand: id });
  });
  let metricIndex = {};
  const metric = (r, name) => (name in metricIndex ? r.m[metricIndex[name]] : null);
  const table = new Table({
    testid: 'scenarios-table',
    rowKey: (r) => r.scenario_id,
    sort: { key: 'score', dir: 1 },
    onRowClick: (r) => { location.hash = hashFor('replay', { run: id, scenario: r.scenario_id }); },
    columns: [
      { key: 'scenario_id', label: 'scenario' },
      { key: 'status', label: 'status', render: (r) => r.status === 'ok' ? 'ok'
        : el('span.warn', { text: 'failed', title: r.error }) },
      { key: 'score', label: 'score', numeric: true, render: (r) => num(r.score, 3) },
      ...SHOWN.map((name) => ({ key: name, label: name.replace(/_/g, ' '), numeric: true,
        value: (r) => metric(r, name), render: (r) => num(metric(r, name), name.endsWith('collisions') ? 0 : 2) })),
      { key: 'min_ttc_s', label: 'min TTC [s]', numeric: true, value: (r) => metric(r, 'min_ttc_s'),
        render: (r) => num(metric(r, 'min_ttc_s'), 2) },
      { key: 'steps', label: 'steps', numeric: true },
      { key: 'wall_ms', label: 'wall [ms]', numeric: true, render: (r) => num(r.wall_ms, 1) },
    ],
  });
  const applyFilter = () => {
    const text = q.value.trim().toLowerCase();
    table.setFilter((r) => (!status.value || r.status === status.value) &&
      (!faultOnly.checked || metric(r, 'at_fault_collisions') > 0) &&
      (!text || r.scenario_id.toLowerCase().includes(text) || r.file.toLowerCase().includes(text)));
  };
  for (const c of [q, status, faultOnly]) c.addEventListener('input', applyFilter);

  root.append(head, means,
    el('h2', { text: 'Scenarios' }),
    el('div.toolbar', {}, q, status, el('label', {}, faultOnly, ' only at-fault collisions'), compareWith),
    table.el);

  async function load() {
    let run, results, runs;
    try {
      [run, results, runs] = await Promise.all([api(`runs/${id}`), api(`runs/${id}/results`), api('runs')]);
    } catch (e) {
      clear(head).append(errorBox(e.message));
      return;
    }
    clear(head).append(
      el('h1', {}, `Run ${run.id} ‘${run.name}’ `, badge(run.state)),
      el('dl.kv', {},
        el('dt', { text: 'planner' }), el('dd', { text: run.planner + (run.checkpoint_sha256 ? ` (checkpoint ${run.checkpoint_sha256.slice(0, 12)})` : '') }),
        el('dt', { text: 'agents' }), el('dd', { text: run.agents }),
        el('dt', { text: 'started' }), el('dd', { text: when(run.started_at) }),
        el('dt', { text: 'finished' }), el('dd', { text: run.finished_at ? when(run.finished_at) : 'not finished' }),
        el('dt', { text: 'suite' }), el('dd', {}, el('code', { text: run.suite_sha256.slice(0, 16) })),
        el('dt', { text: 'scenarios' }), el('dd', { dataset: { testid: 'run-progress' },
          text: `${run.scenarios} of ${run.num_scenarios} (${run.ok} ok, ${run.failed} failed)` }),
        el('dt', { text: 'shard · seed · tarmac' }), el('dd', { text: `${run.shard} · ${run.seed} · ${run.git_rev}` }),
        el('dt', { text: 'configuration' }), el('dd', {}, el('code', { text: JSON.stringify(run.config) }))));
    clear(means).append(
      el('div.mean.big', {}, el('div.v', { text: num(run.mean_score, 4), dataset: { testid: 'run-mean-score' } }),
        el('div.k', { text: 'mean score' })),
      ...Object.entries(run.metric_means).filter(([, v]) => v !== null).map(([k, v]) =>
        el('div.mean', {}, el('div.v', { text: num(v, 3) }), el('div.k', { text: k.replace(/_/g, ' ') }))));
    metricIndex = Object.fromEntries(results.metrics.map((n, i) => [n, i]));
    const current = compareWith.value;
    compareWith.replaceChildren(compareWith.firstChild, ...runs.runs.filter((r) => r.id !== run.id)
      .map((r) => el('option', { value: r.id, text: `run ${r.id} ${r.name}` })));
    compareWith.value = current;
    table.rows = results.rows;
    applyFilter();
  }
  await load();
  return { refresh: load };
}
