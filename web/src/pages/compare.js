// #/compare?base=A&cand=B: two runs side by side with `tarmac compare`'s
// statistics and verdict, and every common scenario's delta, sortable and
// filterable (new at-fault collisions, newly failed, largest drops).
import { api } from '../api.js';
import { el, num, signed, hashFor, errorBox, clear } from '../util.js';
import { Table } from '../table.js';

function intervalSvg(lo, mean, hi, scale, dir) {
  const ns = 'http://www.w3.org/2000/svg';
  const w = 160, h = 14, mid = w / 2;
  const px = (v) => Math.min(w - 2, Math.max(2, mid + (v / scale) * (mid - 4)));
  const color = dir === 'worse' ? '#b42318' : dir === 'better' ? '#1e6b3a' : '#5b6577';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', w); svg.setAttribute('height', h);
  const mk = (tag, attrs) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    svg.append(n);
  };
  mk('line', { x1: mid, y1: 0, x2: mid, y2: h, stroke: '#c3c9d3' });
  mk('line', { x1: px(lo), y1: 7, x2: px(hi), y2: 7, stroke: color, 'stroke-width': 3 });
  mk('circle', { cx: px(mean), cy: 7, r: 3.2, fill: color });
  return svg;
}

export async function comparePage(root, params) {
  let runs;
  try {
    runs = (await api('runs')).runs;
  } catch (e) {
    root.append(errorBox(e.message));
    return {};
  }
  const option = (r) => el('option', { value: r.id, text: `run ${r.id} ${r.name} (${r.planner})` });
  const base = el('select', { dataset: { testid: 'compare-base' } }, runs.map(option));
  const cand = el('select', { dataset: { testid: 'compare-cand' } }, runs.map(option));
  const strict = el('input', { type: 'checkbox', checked: params.strict === '1', dataset: { testid: 'compare-strict' } });
  if (runs.length >= 2) {
    base.value = params.base || runs[runs.length - 2].id;
    cand.value = params.cand || runs[runs.length - 1].id;
  }
  const go = () => { location.hash = hashFor('compare', { base: base.value, cand: cand.value, strict: strict.checked ? 1 : '' }); };
  base.addEventListener('change', go);
  cand.addEventListener('change', go);
  strict.addEventListener('change', go);
  const swap = el('button', { text: '⇄ swap', on: { click: () => {
    const b = base.value; base.value = cand.value; cand.value = b; go();
  } } });
  const out = el('div');
  root.append(el('h1', { text: 'Compare' }),
    el('div.toolbar', {}, 'baseline ', base, ' candidate ', cand, swap, el('label', {}, strict, ' strict')), out);
  if (runs.length < 1) {
    out.append(el('p', { text: 'No runs in this database yet.' }));
    return {};
  }

  const filter = { kind: params.show || 'all', text: '' };
  const table = new Table({
    testid: 'compare-table',
    rowKey: (r) => r.scenario,
    sort: { key: 'worse_rank', dir: 1 },
    rowAttrs: (r, tr) => {
      if (r.new_at_fault_collision) tr.classList.add('fault');
      if (r.newly_failed) tr.classList.add('failrow');
    },
    onRowClick: (r) => { location.hash = hashFor('replay', { run: cand.value, scenario: r.scenario, base: base.value }); },
    columns: [
      { key: 'worse_rank', label: '#', numeric: true, title: 'rank among the scenarios that got worse (tarmac compare\'s order)',
        render: (r) => r.worse_rank === null ? '' : String(r.worse_rank + 1) },
      { key: 'scenario', label: 'scenario' },
      { key: 'base_score', label: 'baseline', numeric: true, render: (r) => num(r.base_score, 3) },
      { key: 'cand_score', label: 'candidate', numeric: true, render: (r) => num(r.cand_score, 3) },
      { key: 'delta', label: 'Δ score', numeric: true, render: (r) =>
        el(r.delta < 0 ? 'span.worse' : r.delta > 0 ? 'span.better' : 'span', { text: signed(r.delta, 3) }) },
      { key: 'base_at_fault', label: 'at-fault (b → c)', numeric: true, value: (r) => r.cand_at_fault,
        render: (r) => `${num(r.base_at_fault, 0)} → ${num(r.cand_at_fault, 0)}` },
      { key: 'flags', label: 'what', value: (r) => (r.new_at_fault_collision ? 0 : r.newly_failed ? 1 : 2),
        render: (r) => el('span', {},
          r.new_at_fault_collision ? el('span.tag.fault', { text: 'new at-fault collision' }) : null,
          r.newly_failed ? el('span.tag.fail', { text: 'newly failed' }) : null,
          r.detail) },
    ],
  });
  const kinds = [['all', 'all'], ['worse', 'got worse'], ['fault', 'new at-fault collisions'],
    ['failed', 'newly failed'], ['better', 'got better']];
  const chips = el('div.chips', { dataset: { testid: 'compare-filter' } });
  const search = el('input', { type: 'search', placeholder: 'scenario contains…', dataset: { testid: 'compare-search' } });
  const applyFilter = () => {
    for (const c of chips.children) c.classList.toggle('on', c.dataset.kind === filter.kind);
    const t = search.value.trim().toLowerCase();
    table.setFilter((r) => {
      if (t && !r.scenario.toLowerCase().includes(t)) return false;
      switch (filter.kind) {
        case 'worse': return r.worse_rank !== null;
        case 'fault': return r.new_at_fault_collision;
        case 'failed': return r.newly_failed;
        case 'better': return r.delta > 0;
        default: return true;
      }
    });
  };
  for (const [k, label] of kinds) {
    chips.append(el('button.chip', { text: label, dataset: { kind: k }, on: { click: () => { filter.kind = k; applyFilter(); } } }));
  }
  search.addEventListener('input', applyFilter);

  async function load() {
    let c;
    try {
      c = await api('compare', { base: base.value, cand: cand.value, strict: strict.checked ? 1 : '' });
    } catch (e) {
      clear(out).append(errorBox(e.message));
      return;
    }
    const metrics = el('table.grid', { dataset: { testid: 'compare-metrics' } },
      el('thead', {}, el('tr', {}, ['metric', 'pairs', 'baseline', 'candidate', 'difference', `${Math.round(c.level * 100)}% interval`, '']
        .map((h, i) => el(i > 0 && i < 6 ? 'th.n' : 'th', { text: h })))),
      el('tbody', {}, c.metrics.map((m) => {
        const scale = Math.max(Math.abs(m.ci_low), Math.abs(m.ci_high), 1e-9);
        const cls = m.direction;  // 'better', 'worse' or '' (tools/run_comparison.h: Direction)
        return el('tr', { dataset: { metric: m.metric } }, el('td', { text: m.metric }), el('td.n', { text: String(m.n) }),
          el('td.n', { text: num(m.base, 4) }), el('td.n', { text: num(m.cand, 4) }),
          el(`td.n${cls ? '.' + cls : ''}`, { text: signed(m.diff, 4) }),
          el('td.n', { text: `[${signed(m.ci_low, 4)}, ${signed(m.ci_high, 4)}]` }),
          el('td', {}, intervalSvg(m.ci_low, m.diff, m.ci_high, scale, cls)));
      })));
    const counts = {
      worse: c.worse.length, fault: c.new_at_fault_collisions, failed: c.newly_failed,
      better: c.scenarios.filter((r) => r.delta > 0).length, all: c.scenarios.length,
    };
    for (const chip of chips.children) {
      chip.textContent = `${kinds.find(([k]) => k === chip.dataset.kind)[1]} (${counts[chip.dataset.kind]})`;
    }
    clear(out).append(
      el(`div.verdict.${c.regression ? 'bad' : 'good'}`, { dataset: { testid: 'verdict', regression: String(c.regression) } },
        `${c.regression ? 'REGRESSION' : 'OK'}: ${c.reason}`),
      el('p.summary-line', { text: `${c.common_scenarios} common scenarios` +
        (c.same_suite ? '' : ' (the runs used different suites)') +
        (c.only_in_base.length || c.only_in_cand.length
          ? ` · ${c.only_in_base.length} only in the baseline, ${c.only_in_cand.length} only in the candidate (not compared)` : '') +
        ` · ${c.resamples} bootstrap resamples, seed ${c.seed}, as tarmac compare ${c.base.run_id} ${c.cand.run_id}${c.strict ? ' --strict' : ''}` }),
      metrics,
      el('h2', { text: 'Scenarios' }),
      el('div.toolbar', {}, chips, search),
      table.el);
    table.rows = c.scenarios;
    applyFilter();
  }
  await load();
  return { refresh: load };
}
