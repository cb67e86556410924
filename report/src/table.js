// A sortable, filterable, paginated table. Cells are rendered as text (or by a column's render
// function, which must return nodes built with dom.js).
import { h, clear, vis, fmtInt, fmtNum, fmtIso } from './dom.js';

/**
 * opts:
 *   columns: [{ label, get(row) -> value, type: 'int'|'real'|'text'|'time'|'pct', render?(row) -> Node|string,
 *               title?, wide?, sortable? (default true), max? (chars before "more") }]
 *   rows: array
 *   pageSize: rows per page (default 25)
 *   filter: true to show a text filter (matches the text of every column)
 *   note: text under the table (the cap, the source file)
 *   sort: [columnIndex, 'asc'|'desc'] initial order (default: as given)
 *   onRow(row, tr): called per rendered row (e.g. to add a click handler)
 *   empty: text when there are no rows
 *   detail(row) -> Node: rows get a toggle that shows this under them
 */
export class DataTable {
  constructor(opts) {
    this.o = { pageSize: 25, filter: true, ...opts };
    this.page = 0;
    this.sortCol = opts.sort ? opts.sort[0] : -1;
    this.sortDir = opts.sort ? opts.sort[1] : 'desc';
    this.query = '';
    this.open = new Set();  // rows whose detail is shown
    this.el = h('div', { class: 'datatable' });
    this.build();
  }

  build() {
    const o = this.o;
    const rows = o.rows || [];
    this.filterInput = o.filter && rows.length > 10
      ? h('input', { type: 'search', placeholder: 'Filter rows…', 'aria-label': 'Filter rows' })
      : null;
    if (this.filterInput) {
      this.filterInput.addEventListener('input', () => {
        this.query = this.filterInput.value.toLowerCase();
        this.page = 0;
        this.render();
      });
    }
    this.info = h('span', { class: 'cap-note' });
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.table = h('table', { class: 'data' }, this.thead, this.tbody);
    this.pager = h('div', { class: 'pager' });
    const tools = this.filterInput ? h('div', { class: 'toolbar' }, this.filterInput, this.info) : null;
    clear(this.el);
    this.el.append(...[tools, h('div', { class: 'tbl-wrap' }, this.table), this.pager,
      o.note ? h('div', { class: 'cap-note', text: o.note }) : null].filter(Boolean));
    this.renderHead();
    this.render();
  }

  renderHead() {
    const tr = h('tr');
    if (this.o.detail) tr.appendChild(h('th', { class: 'toggle', scope: 'col', 'aria-label': 'details' }));
    this.o.columns.forEach((c, i) => {
      const numeric = c.type === 'int' || c.type === 'real' || c.type === 'pct';
      const th = h('th', { class: numeric ? 'num' : null, scope: 'col', title: c.title || null });
      if (c.sortable === false) th.textContent = c.label.replace(/_/g, '_\u200b');
      else {
        th.appendChild(h('button', {
          class: 'sort', type: 'button', text: c.label.replace(/_/g, '_\u200b'),  // may break after _
          onclick: () => {
            if (this.sortCol === i) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
            else {
              this.sortCol = i;
              this.sortDir = numeric || c.type === 'time' ? 'desc' : 'asc';
            }
            this.page = 0;
            this.render();
          },
        }));
      }
      tr.appendChild(th);
    });
    clear(this.thead).appendChild(tr);
  }

  visibleRows() {
    let rows = this.o.rows || [];
    if (this.query) {
      const q = this.query;
      const cols = this.o.columns;
      rows = rows.filter((r) => cols.some((c) => {
        const v = c.get(r);
        return v !== null && v !== undefined && String(v).toLowerCase().includes(q);
      }));
    }
    if (this.sortCol >= 0) {
      const c = this.o.columns[this.sortCol];
      const dir = this.sortDir === 'asc' ? 1 : -1;
      const text = !(c.type === 'int' || c.type === 'real' || c.type === 'pct');
      rows = rows.map((r, i) => [c.get(r), i, r]);
      rows.sort((a, b) => {
        const x = a[0], y = b[0];
        const xn = x === null || x === undefined || x === '', yn = y === null || y === undefined || y === '';
        if (xn !== yn) return xn ? 1 : -1;  // empty last, whatever the direction
        if (!xn && x !== y) {
          if (text) return dir * (String(x) < String(y) ? -1 : 1);
          return dir * (x - y);
        }
        return a[1] - b[1];
      });
      rows = rows.map((x) => x[2]);
    }
    return rows;
  }

  render() {
    const o = this.o;
    const rows = this.visibleRows();
    const pages = Math.max(1, Math.ceil(rows.length / o.pageSize));
    this.page = Math.min(this.page, pages - 1);
    const start = this.page * o.pageSize;
    const slice = rows.slice(start, start + o.pageSize);
    clear(this.tbody);
    if (!slice.length) {
      this.tbody.appendChild(h('tr', null, h('td', { class: 'empty', colspan: o.columns.length + (o.detail ? 1 : 0), text: o.empty || 'No rows.' })));
    }
    const ncol = o.columns.length + (o.detail ? 1 : 0);
    for (const r of slice) {
      const tr = h('tr');
      let detailRow = null;
      if (o.detail) {
        const btn = h('button', { class: 'link toggle no-print', type: 'button', 'aria-expanded': String(this.open.has(r)), title: 'Details', text: this.open.has(r) ? '▾' : '▸' });
        const show = () => {
          detailRow = h('tr', { class: 'detail' }, h('td', { colspan: ncol }, o.detail(r)));
          tr.after(detailRow);
        };
        btn.addEventListener('click', () => {
          if (this.open.has(r)) {
            this.open.delete(r);
            if (detailRow) detailRow.remove();
            detailRow = null;
          } else {
            this.open.add(r);
            show();
          }
          btn.textContent = this.open.has(r) ? '▾' : '▸';
          btn.setAttribute('aria-expanded', String(this.open.has(r)));
        });
        tr.appendChild(h('td', { class: 'toggle' }, btn));
        this.tbody.appendChild(tr);
        if (this.open.has(r)) show();
      }
      for (const c of o.columns) tr.appendChild(this.cell(c, r));
      if (o.onRow) o.onRow(r, tr);
      if (!o.detail) this.tbody.appendChild(tr);
    }
    [...this.thead.querySelectorAll('th')].slice(o.detail ? 1 : 0).forEach((th, i) => {
      if (i === this.sortCol) th.setAttribute('aria-sort', this.sortDir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    const total = (o.rows || []).length;
    this.info.textContent = this.query ? `${fmtInt(rows.length)} of ${fmtInt(total)} rows match` : '';
    clear(this.pager);
    if (rows.length > o.pageSize) {
      const prev = h('button', { class: 'btn', type: 'button', text: '‹ Previous', disabled: this.page === 0,
        onclick: () => { this.page--; this.render(); } });
      const next = h('button', { class: 'btn', type: 'button', text: 'Next ›', disabled: this.page >= pages - 1,
        onclick: () => { this.page++; this.render(); } });
      this.pager.append(prev, next,
        h('span', { text: `Rows ${fmtInt(start + 1)}–${fmtInt(start + slice.length)} of ${fmtInt(rows.length)} · page ${fmtInt(this.page + 1)} of ${fmtInt(pages)}` }));
    } else if (rows.length && (!o.note || this.query)) {
      this.pager.append(h('span', { text: `${fmtInt(rows.length)} row${rows.length === 1 ? '' : 's'}` }));
    }
  }

  cell(c, r) {
    const numeric = c.type === 'int' || c.type === 'real' || c.type === 'pct';
    const td = h('td', { class: numeric ? 'num' : c.type === 'time' ? 'time' : c.wide ? 'wide' : c.cls || null });
    const box = c.wide ? td.appendChild(h('div', { class: 'wide-box', css: c.minWidth ? { 'min-width': c.minWidth } : null })) : td;
    if (c.render) {
      const v = c.render(r);
      if (v !== null && v !== undefined) box.appendChild(v instanceof Node ? v : document.createTextNode(String(v)));
      return td;
    }
    const v = c.get(r);
    if (v === null || v === undefined || v === '') return td;
    if (c.type === 'int') td.textContent = fmtInt(v);
    else if (c.type === 'real') td.textContent = fmtNum(v, c.digits ?? 3);
    else if (c.type === 'pct') td.textContent = `${fmtNum(100 * v, 1)} %`;
    else if (c.type === 'time') {
      const [day, time] = fmtIso(v).split(' ');
      td.append(h('span', { class: 'nowrap', text: day }), time ? ' ' : '', time ? h('span', { class: 'nowrap', text: time }) : '');
      td.title = String(v);
    } else box.appendChild(vis(v, c.max ?? 160));
    return td;
  }

  setRows(rows) {
    this.o.rows = rows;
    this.page = 0;
    this.render();
  }
}

/** Columns for a table from the data (tables/*.csv), by column name; overrides per name. */
export function columnsOf(t, names, overrides = {}) {
  const idx = Object.fromEntries(t.columns.map((c, i) => [c.name, i]));
  return names.filter((n) => n in idx).map((n) => {
    const c = t.columns[idx[n]];
    const i = idx[n];
    let type = c.type === 'int' ? 'int' : c.type === 'real' ? 'real' : 'text';
    if (type === 'text' && /(^|_)(seen|start|end|time)$/.test(n)) type = 'time';
    return { label: n, title: c.doc || null, type, get: (r) => r[i], ...(overrides[n] || {}) };
  });
}

/** "Showing the first N of M rows (tables/x.csv has them all)". */
export function capNote(t, file) {
  const shown = t.rows.length;
  const where = file || `tables/${t.name}.csv`;
  const all = where.includes('cowrie.sqlite') ? where : `${where} and cowrie.sqlite`;  // named once
  if (t.note) return `Rows shown: ${t.note}; ${fmtInt(shown)} of ${fmtInt(t.total)} rows. All rows: ${all}.`;
  if (shown < t.total) return `The first ${fmtInt(shown)} of ${fmtInt(t.total)} rows (in the file's order). All rows: ${all}.`;
  return `${fmtInt(t.total)} rows, as in ${where}.`;
}
