// DOM helpers. Every string from the data is attacker-controlled: it reaches the page only as
// text (textContent, createTextNode, attribute values), never as markup. Links are in-page
// ('#...') only, but for servedHref()'s; there is no innerHTML anywhere in this code.

/** Creates an element. props: class, text, title, href ('#...' only), on<event>, css (object of
 *  style properties, set through CSSOM, which the CSP allows), any other attribute as text. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'css') for (const [p, x] of Object.entries(v)) el.style.setProperty(p, x);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'href') {
        const s = String(v);
        if (!s.startsWith('#')) throw new Error('only in-page links are allowed');
        el.setAttribute('href', s);
      } else if (k === 'src' || k === 'srcdoc' || k === 'style' || k.startsWith('on')) {
        throw new Error(`attribute ${k} is not allowed`);
      } else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** True when `cowrie-batch serve` sent this page (its /report adds <meta name="cb-serve">). */
export function servedByServe() {
  return document.querySelector('meta[name="cb-serve"]') !== null;
}

/** Under serve, points link `a` at serve's own page with `params` in its address ("/#q=TEXT",
 *  "/#sensor=S&session=ID"): encoded by URLSearchParams, so it is always that same-origin page. */
export function servedHref(a, params) {
  a.setAttribute('href', '/#' + new URLSearchParams(params).toString());
  return a;
}

/** Under serve, a link to its page of one session. */
export function servedSessionLink(id, text) {
  const cut = id.lastIndexOf('/');  // ids are "sensor/session"; Cowrie's session ids have no '/'
  return servedHref(h('a', { text }), { sensor: id.slice(0, cut), session: id.slice(cut + 1) });
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Characters shown as a visible escape instead of themselves: C0 and C1 controls, DEL,
// bidi controls (which reorder the text around them), zero-width characters, line and
// paragraph separators, and the BOM.
const SPECIAL = /[\u0000-\u001f\u007f-\u009f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\ufff9-\ufffb]/u;
const SPECIAL_G = new RegExp(SPECIAL.source, 'gu');

function escapeOf(ch) {
  const c = ch.codePointAt(0);
  if (c === 10) return '\\n';
  if (c === 13) return '\\r';
  if (c === 9) return '\\t';
  if (c === 0x1b) return '\\e';
  if (c < 0x100) return '\\x' + c.toString(16).padStart(2, '0');
  return '\\u' + c.toString(16).padStart(4, '0');
}

/** A sensor's name for display: logs without a sensor (or with an unusable one) give the empty sensor. */
export function sensorName(s) {
  return s === '' || s == null ? '(none)' : s;
}

/** A plain string with the special characters written as escapes (for canvas labels, titles). */
export function plain(s, max = 0) {
  let t = String(s ?? '').replace(SPECIAL_G, escapeOf);
  if (max && t.length > max) t = t.slice(0, max - 1) + '…';
  return t;
}

/** s cut in its middle to at most max characters ("…" in place of the middle): for paths, whose
 *  start and end (file name, ":line") both matter. */
export function midCut(s, max) {
  const t = Array.from(String(s ?? ''));
  if (t.length <= max) return t.join('');
  const head = Math.floor((max - 1) / 2);
  return t.slice(0, head).join('') + '…' + t.slice(t.length - (max - 1 - head)).join('');
}

/** A command line as a node: vis(), and "(empty line)" for a line that was empty (a value, not a gap). */
export function lineText(s, max = 200) {
  return s === '' ? h('span', { class: 'empty-line', text: '(empty line)' }) : vis(s, max);
}

/** An attacker string as a node: monospace, bidi-isolated, special characters as highlighted
 *  escapes. max: characters shown before a "more" button (0: all). */
export function vis(s, max = 200) {
  const str = String(s ?? '');
  const span = h('span', { class: 's' });
  const fill = (text) => {
    clear(span);
    let last = 0;
    SPECIAL_G.lastIndex = 0;
    for (let m; (m = SPECIAL_G.exec(text)); ) {
      if (m.index > last) span.appendChild(document.createTextNode(text.slice(last, m.index)));
      span.appendChild(h('span', { class: 'esc', title: `U+${m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`, text: escapeOf(m[0]) }));
      last = m.index + m[0].length;
    }
    if (last < text.length) span.appendChild(document.createTextNode(text.slice(last)));
  };
  if (max && str.length > max) {
    const wrap = h('span');
    let open = false;
    const btn = h('button', { class: 'link more no-print', type: 'button' });
    const render = () => {
      fill(open ? str : str.slice(0, max) + '…');
      btn.textContent = open ? 'less' : `more (${fmtInt(str.length)} chars)`;
    };
    btn.addEventListener('click', (e) => {
      e.stopPropagation();
      open = !open;
      render();
    });
    render();
    return append(wrap, [span, btn]);
  }
  fill(str);
  return span;
}

const NF = new Intl.NumberFormat('en-US');
export function fmtInt(n) {
  return n === null || n === undefined || Number.isNaN(n) ? '' : NF.format(Math.round(n));
}
export function fmtNum(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return '';
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(x);
}
export function fmtPct(x, digits = 1) {
  return x === null || x === undefined ? '' : `${fmtNum(100 * x, digits)} %`;
}
export function fmtBytes(n) {
  if (n === null || n === undefined) return '';
  const u = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < u.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${fmtInt(v)} bytes` : `${fmtNum(v, 1)} ${u[i]}`;
}
export function fmtDuration(s) {
  if (s === null || s === undefined) return '';
  if (s < 60) return `${fmtNum(s, s < 10 ? 2 : 1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${fmtNum(s / 86400, 1)} days`;
}
/** UTC time from epoch milliseconds: "2024-04-05 12:00:01" (the page says UTC once per table). */
export function fmtTime(ms, withMs = false) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, withMs ? 23 : 19);
}
/** A UTC time as two unbreakable parts (date, time) that may wrap between them. */
export function timeNode(ms, withMs = false) {
  const [d, t] = fmtTime(ms, withMs).split(' ');
  return h('span', { title: `${fmtTime(ms, true)} UTC` }, h('span', { class: 'nowrap', text: d }), ' ', h('span', { class: 'nowrap', text: t }));
}
/** A long hex digest shortened for tables (the full value is the title and is what filters match). */
export function hashNode(v) {
  const s = String(v ?? '');
  if (!/^[0-9a-fA-F]{24,}$/.test(s)) return vis(s, 80);
  return h('span', { class: 's', title: s, text: `${s.slice(0, 12)}…${s.slice(-6)}` });
}
export function fmtDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}
/** An ISO 8601 text time from the tables ("2024-04-05T12:00:01.123456Z") for display. */
export function fmtIso(s) {
  if (!s) return '';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(s);
  return m ? `${m[1]} ${m[2]}` : String(s);
}
export function isoToMs(s) {
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}
/** ISO week "2024-W05" of a UTC time (the same weeks as predisconnect_weekly.csv). */
export function isoWeek(ms) {
  const t = new Date(ms);
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  const dayNum = d.getUTCDay() || 7;  // Monday 1 .. Sunday 7
  d.setUTCDate(d.getUTCDate() + 4 - dayNum);  // the Thursday of this week decides the year
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function debounce(fn, ms) {
  let t = 0;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}
