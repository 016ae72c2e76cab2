// #/runs: every run with planner, checkpoint, date, suite, mean score and
// failures; search and filters; pick two to compare. Updates while runs write.
import { api } from '../api.js';
import { el, num, when, short, badge, hashFor, errorBox } from '../util.js';
import { Table } from '../table.js';

export async function runsPage(root, params) {
  const selected = new Set();
  const q = el('input', { type: 'search', placeholder: 'search name, planner, checkpoint…', value: params.q || '',
    dataset: { testid: 'runs-search' } });
  const planner = el('select', { dataset: { testid: 'runs-planner' } }, el('option', { value: '', text: 'every planner' }));
  const suite = el('select', { dataset: { testid: 'runs-suite' } }, el('option', { value: '', text: 'every suite' }));
  const state = el('select', { dataset: { testid: 'runs-state' } },
    ['', 'live', 'finished', 'unfinished'].map((s) => el('option', { value: s, text: s || 'any state' })));
  const compareBtn = el('button', { text: 'Compare the two selected', disabled: true, dataset: { testid: 'runs-compare' },
    on: { click: () => {
      const [a, b] = [...selected].sort((x, y) => x - y);
      location.hash = hashFor('compare', { base: a, cand: b });
    } } });

  const table = new Table({
    testid: 'runs-table',
    rowKey: (r) => r.id,
    sort: { key: 'id', dir: -1 },
    onRowClick: (r, e) => {
      if (e.target.closest('input')) return;
      location.hash = '#/runs/' + r.id;
    },
    rowAttrs: (r, tr) => { tr.dataset.state = r.state; },
    columns: [
      { key: 'pick', label: '', value: () => null, render: (r) => el('input', {
        type: 'checkbox', checked: selected.has(r.id), title: 'select for comparison',
        on: { change: (e) => {
          if (e.target.checked) selected.add(r.id); else selected.delete(r.id);
          compareBtn.disabled = selected.size !== 2;
        } } }) },
      { key: 'id', label: 'run', numeric: true },
      { key: 'name', label: 'name' },
      { key: 'planner', label: 'planner' },
      { key: 'agents', label: 'agents' },
      { key: 'checkpoint_sha256', label: 'checkpoint', render: (r) => short(r.checkpoint_sha256) },
      { key: 'started_at', label: 'date', render: (r) => when(r.started_at) },
      { key: 'suite_sha256', label: 'suite', render: (r) => el('code', { text: short(r.suite_sha256, 8) }) },
      { key: 'scenarios', label: 'scenarios', numeric: true,
        render: (r) => r.scenarios === r.num_scenarios ? String(r.scenarios) : `${r.scenarios} / ${r.num_scenarios}` },
      { key: 'mean_score', label: 'mean score', numeric: true, render: (r) => el('span', {
        text: num(r.mean_score, 4), dataset: { testid: 'mean-score' } }) },
      { key: 'failed', label: 'failed', numeric: true,
        render: (r) => el(r.failed > 0 ? 'span.warn' : 'span', { text: String(r.failed) }) },
      { key: 'at_fault', label: 'at-fault', numeric: true, title: 'scenarios with an at-fault collision' },
      { key: 'state', label: 'state', render: (r) => badge(r.state) },
    ],
  });

  const bar = el('div.toolbar', {}, q, planner, suite, state, compareBtn);
  const status = el('div.summary-line');
  const body = el('section', {}, table.el);
  root.append(el('h1', { text: 'Runs' }), bar, status, body);

  let data = null;
  const applyFilter = () => {
    const text = q.value.trim().toLowerCase();
    table.setFilter((r) =>
      (!planner.value || r.planner === planner.value) &&
      (!suite.value || r.suite_sha256 === suite.value) &&
      (!state.value || r.state === state.value) &&
      (!text || [r.name, r.planner, r.agents, r.checkpoint_sha256, String(r.id)].some((s) => s.toLowerCase().includes(text))));
  };
  for (const c of [q, planner, suite, state]) c.addEventListener('input', applyFilter);

  async function load() {
    try {
      data = await api('runs');
    } catch (e) {
      body.replaceChildren(errorBox(e.message));
      return;
    }
    const keep = (sel, values, label) => {
      const v = sel.value;
      sel.replaceChildren(sel.firstChild, ...values.map(([value, text]) => el('option', { value, text })));
      sel.value = values.some(([value]) => value === v) ? v : '';
    };
    keep(planner, data.planners.map((p) => [p, p]));
    keep(suite, data.suites.map((s) => [s.suite_sha256, `${short(s.suite_sha256, 8)} (${s.runs} runs)`]));
    if (params.planner && !planner.dataset.init) { planner.value = params.planner; planner.dataset.init = '1'; }
    const live = data.runs.filter((r) => r.state === 'live').length;
    status.textContent = `${data.runs.length} runs` + (live ? ` · ${live} live` : '');
    table.rows = data.runs;
    applyFilter();
  }
  await load();
  return { refresh: load };
}
