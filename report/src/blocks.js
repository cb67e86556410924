// Building blocks of the report's sections: headings, figures, tables with drill-downs, and
// tests of the explorer's sessions (report/src/data.js decodes them) for drill-downs.
import { h, vis, fmtInt, fmtNum } from './dom.js';
import { DataTable, columnsOf, capNote } from './table.js';
import { K } from './data.js';
import { sessionLink } from './explorer.js';

export const ARROW = ' \u2192 ';

export function section(id, title, lead) {
  const sec = h('section', { class: 'sec', id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h', text: title }));
  if (lead) sec.appendChild(h('p', { class: 'lead', text: lead }));
  return sec;
}

export function sub(title, lead) {
  return lead ? [h('h3', { text: title }), h('p', { class: 'lead', text: lead })] : [h('h3', { text: title })];
}

export function kpi(label, value, extra) {
  return h('div', { class: 'kpi' }, h('div', { class: 'v', text: value }), h('div', { class: 'k', text: label }),
    extra ? h('div', { class: 'kpi-sub', text: extra }) : null);
}

export function ids(text) {
  return String(text || '').split(/[;\n]/).filter(Boolean);
}

export function idLinks(text) {
  const list = ids(text);
  if (!list.length) return null;
  return h('span', { class: 'chips' }, list.map((id) => sessionLink(id)));
}

export function missingTable(name) {
  return h('p', { class: 'empty', text: `No ${name} table in this run.` });
}

export function tableBlock(t, names, overrides = {}, opts = {}) {
  if (!t) return missingTable(opts.label || 'such');
  const cols = columnsOf(t, names, overrides);
  if (opts.extra) cols.push(...opts.extra);
  return new DataTable({ rows: t.rows, columns: cols, note: capNote(t, opts.file), pageSize: opts.pageSize || 15, sort: opts.sort, empty: opts.empty, detail: opts.detail }).el;
}

/** A detail panel: the named columns of a row as a key/value list. */
export function detailOf(t, names, render = {}) {
  return (r) => {
    const dl = h('dl', { class: 'kv' });
    for (const n of names) {
      if (!(n in t.idx)) continue;
      const v = r[t.idx[n]];
      const doc = t.columns[t.idx[n]].doc;
      let node;
      if (render[n]) node = render[n](r);
      else if (v === null || v === undefined || v === '') node = '—';
      else if (typeof v === 'number') node = Number.isInteger(v) ? fmtInt(v) : fmtNum(v, 4);
      else if (/[;\n]/.test(v) && /:\d+($|[;\n])/.test(v)) node = h('div', null, String(v).split(/[;\n]/).map((x) => h('div', null, vis(x, 200))));
      else node = vis(v, 600);
      dl.append(h('dt', { text: n, title: doc || null }), h('dd', null, node));
    }
    return dl;
  };
}

export const hasLogin = (u, p) => (s) => s.items.some((it) => it[1] === K.login && it[2] === u && it[3] === p && !it[4]);
export const hasKey = (u, fp) => (s) => s.items.some((it) => it[1] === K.login && it[2] === u && it[4] === fp);
export const hasCommand = (c) => (s) => s.items.some((it) => it[1] === K.command && it[2] === c);
export const hasFailed = (c) => (s) => s.items.some((it) => it[1] === K.command_failed && it[2] === c);
export const hasFailedName = (name) => (s) => s.items.some((it) => it[1] === K.command_failed && it[2].split(/\s+/)[0] === name);
export const hasUrl = (u) => (s) => s.items.some((it) => (it[1] === K.download || it[1] === K.download_failed) && it[2] === u);
export const hasShasum = (x) => (s) => s.items.some((it) => (it[1] === K.download || it[1] === K.upload) && it[3] === x);
export const lastIs = (kind, cmd) => (s) => s.left && (kind === 'raw' ? s.last_step === cmd : s.last_template === cmd);

/** A group of toggle buttons [value, label, disabled]: get() is the current value, set(v) picks one. */
export function segmented(items, get, set) {
  const box = h('div', { class: 'seg', role: 'group' });
  for (const [v, label, disabled] of items) {
    const b = h('button', { type: 'button', text: label, 'aria-pressed': String(get() === v), disabled: disabled || null,
      onclick: () => { set(v); [...box.children].forEach((x) => x.setAttribute('aria-pressed', String(x === b))); } });
    box.appendChild(b);
  }
  return box;
}
