// A sortable table. Columns: {key, label, numeric, value(row), render(row) ->
// Node|string, title}. Rows are re-rendered from data; sorting by clicking a
// header (again: reverse). Only the first `limit` rows are drawn (a note says
// how many more), so 1,000-row tables stay fast.
import { el, clear } from './util.js';

export class Table {
  constructor({ columns, rowKey, onRowClick, sort, limit = 500, testid, rowAttrs }) {
    this.columns = columns;
    this.rowKey = rowKey;
    this.onRowClick = onRowClick;
    this.sort = sort || null; // {key, dir: 1|-1}
    this.limit = limit;
    this.rowAttrs = rowAttrs;
    this.rows = [];
    this.filter = () => true;
    this.thead = el('thead');
    this.tbody = el('tbody');
    this.note = el('div.table-note');
    this.table = el('table.grid', { dataset: { testid: testid || 'table' } }, this.thead, this.tbody);
    this.el = el('div.table-wrap', {}, this.table, this.note);
    this.renderHead();
  }

  setRows(rows) {
    this.rows = rows;
    this.render();
  }

  setFilter(fn) {
    this.filter = fn;
    this.render();
  }

  value(col, row) {
    return col.value ? col.value(row) : row[col.key];
  }

  renderHead() {
    clear(this.thead);
    const tr = el('tr');
    for (const col of this.columns) {
      const sorted = this.sort && this.sort.key === col.key;
      const th = el(`th${col.numeric ? '.n' : ''}`, {
        title: col.title || 'sort',
        'aria-sort': sorted ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none',
        dataset: { key: col.key },
        on: { click: () => this.sortBy(col.key) },
      }, col.label, sorted ? (this.sort.dir > 0 ? ' ▲' : ' ▼') : '');
      tr.append(th);
    }
    this.thead.append(tr);
  }

  sortBy(key) {
    if (this.sort && this.sort.key === key) this.sort = { key, dir: -this.sort.dir };
    else this.sort = { key, dir: 1 };
    this.renderHead();
    this.render();
  }

  visibleRows() {
    let rows = this.rows.filter(this.filter);
    if (this.sort) {
      const col = this.columns.find((c) => c.key === this.sort.key);
      if (col) {
        const dir = this.sort.dir;
        const keyed = rows.map((r, i) => [this.value(col, r), i, r]);
        keyed.sort((a, b) => {
          const va = a[0], vb = b[0];
          const na = va === null || va === undefined || (typeof va === 'number' && Number.isNaN(va));
          const nb = vb === null || vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
          if (na !== nb) return na ? 1 : -1; // missing values last
          if (!na && va !== vb) {
            if (typeof va === 'number' && typeof vb === 'number') return (va - vb) * dir;
            return String(va).localeCompare(String(vb)) * dir;
          }
          return a[1] - b[1];
        });
        rows = keyed.map((k) => k[2]);
      }
    }
    return rows;
  }

  render() {
    const rows = this.visibleRows();
    clear(this.tbody);
    const frag = document.createDocumentFragment();
    for (const row of rows.slice(0, this.limit)) {
      const tr = el('tr', {
        dataset: { key: this.rowKey(row) },
        class: this.onRowClick ? 'clickable' : null,
        on: this.onRowClick ? { click: (e) => this.onRowClick(row, e) } : null,
      });
      if (this.rowAttrs) this.rowAttrs(row, tr);
      for (const col of this.columns) {
        const content = col.render ? col.render(row) : this.value(col, row);
        tr.append(el(`td${col.numeric ? '.n' : ''}`, {}, content));
      }
      frag.append(tr);
    }
    this.tbody.append(frag);
    const more = rows.length - Math.min(rows.length, this.limit);
    this.note.textContent = `${rows.length} of ${this.rows.length} shown` +
      (more > 0 ? ` (first ${this.limit} drawn; filter to see the rest)` : '');
    this.table.dataset.rows = String(rows.length);
  }
}
