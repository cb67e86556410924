// cowrie-batch serve: the search page. Every attacker string is set with textContent, never as
// HTML; the page state (query, page, open session) lives in the URL's hash, so links can be shared.
'use strict';

const PAGE = 50;
const $ = (id) => document.getElementById(id);

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function state() {
  const p = new URLSearchParams(location.hash.slice(1));
  const s = p.has('session') ? { sensor: p.get('sensor') || '', session: p.get('session') } : null;
  return {
    view: p.get('view') || 'sessions', t: p.get('t') || '',
    q: p.get('q') || '', offset: Math.max(0, parseInt(p.get('offset') || '0', 10) || 0), s,
  };
}

function go(next) {
  const p = new URLSearchParams();
  if (next.view && next.view !== 'sessions') p.set('view', next.view);
  if (next.t) p.set('t', next.t);
  if (next.q) p.set('q', next.q);
  if (next.offset) p.set('offset', String(next.offset));
  if (next.s) { p.set('sensor', next.s.sensor); p.set('session', next.s.session); }
  location.hash = p.toString();
}

const TABLE_ROWS = 200;
let tableList = null;

async function showTable(st) {
  if (!tableList) {
    tableList = (await getJson('/api/tables')).tables;
    $('table-name').replaceChildren(...tableList.map((t) => {
      const o = el('option', t.name + ' (' + t.rows + ')');
      o.value = t.name;
      return o;
    }));
  }
  const name = st.t || (tableList[0] && tableList[0].name);
  if (!name) return;
  $('table-name').value = name;
  const base = '/api/tables/' + encodeURIComponent(name);
  $('table-csv').href = base + '?format=csv&limit=1000000000';
  $('table-json').href = base + '?limit=1000000000';
  const data = await getJson(base + '?limit=' + TABLE_ROWS);
  $('table-total').textContent = data.total + ' rows' + (data.total > TABLE_ROWS ? ', the first ' + TABLE_ROWS + ' shown' : '');
  const head = el('tr');
  for (const c of data.columns) head.append(el('th', c));
  document.querySelector('#table-rows thead').replaceChildren(head);
  document.querySelector('#table-rows tbody').replaceChildren(...data.rows.map((r) => {
    const tr = el('tr');
    for (const c of data.columns) tr.append(el('td', r[c]));
    return tr;
  }));
}

async function getJson(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (r.status === 401) { location.href = '/login'; throw new Error('login required'); }
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.json();
}

async function showResults(st) {
  const data = await getJson('/api/sessions?' + new URLSearchParams({ q: st.q, limit: String(PAGE), offset: String(st.offset) }));
  $('total').textContent = data.total + ' sessions' + (st.q ? ' matching ' + JSON.stringify(st.q) : '');
  const body = document.querySelector('#sessions tbody');
  body.replaceChildren();
  for (const s of data.sessions) {
    const tr = el('tr');
    for (const v of [s.start, s.sensor, s.session, s.src_ip, s.channel, s.end_kind, s.login_attempts, s.commands, s.last_command]) tr.append(el('td', v));
    tr.addEventListener('click', () => go({ ...st, s: { sensor: s.sensor, session: s.session } }));
    body.append(tr);
  }
  $('prev').disabled = st.offset === 0;
  $('next').disabled = st.offset + PAGE >= data.total;
}

// The query naming one session: any sensor and session strings, '/' and empty ones included.
const sessionQuery = (key) => new URLSearchParams({ sensor: key.sensor, session: key.session }).toString();

async function showSession(key) {
  const pane = $('detail');
  if (!key) { pane.hidden = true; return; }
  const rec = await getJson('/api/session?' + sessionQuery(key));
  const s = rec.session;
  $('detail-title').textContent = s.sensor + ' / ' + s.session;
  const facts = $('detail-facts');
  facts.replaceChildren();
  for (const k of ['src_ip', 'country', 'asn', 'as_org', 'start', 'end', 'duration_s', 'protocol', 'client_version', 'hassh', 'channel', 'end_kind', 'last_step', 'attack']) {
    if (['country', 'asn', 'as_org'].includes(k) && s[k] == null) continue;  // without --geoip
    facts.append(el('dt', k), el('dd', s[k]));
  }
  const items = [];
  for (const l of rec.logins) items.push([l.time, 'login ' + (l.success ? 'ok' : 'failed') + ': ' + l.username + ' / ' + (l.password ?? l.fingerprint ?? '')]);
  for (const c of rec.commands) items.push([c.time, (c.failed ? '✗ ' : '$ ') + c.input]);
  for (const d of rec.downloads) items.push([d.time, 'download ' + d.url + ' ' + (d.shasum || '')]);
  for (const f of rec.file_writes) items.push([f.time, 'file write ' + (f.path ?? '(stdin)') + ' ' + (f.shasum || '')]);
  for (const u of rec.uploads) items.push([u.time, 'upload ' + u.filename]);
  for (const t of rec.tcpip) items.push([t.time, 'forward ' + t.dst_ip + ':' + t.dst_port]);
  items.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const ol = $('timeline');
  ol.replaceChildren(...items.map(([t, text]) => el('li', t + '  ' + text)));
  playing++;  // a recording still playing belongs to the session shown before
  $('tty').textContent = '';
  $('tty-note').textContent = '';
  $('tty-box').hidden = rec.ttylogs.length === 0;
  $('tty-play').onclick = () => playTty(key, false);
  $('tty-all').onclick = () => playTty(key, true);
  pane.hidden = false;
}

// The TTY player: the recording's text (escapes already removed by serve) written out at the
// pace it was typed, gaps capped at one second, or all at once.
let playing = 0;
async function playTty(key, all) {
  const run = ++playing;
  const data = await getJson('/api/session/tty?' + sessionQuery(key));
  const out = $('tty');
  out.textContent = '';
  const notes = data.recordings.map((r) => r.name + ' (' + r.duration_s.toFixed(1) + ' s' + (r.cut ? ', cut' : '') + ')');
  $('tty-note').textContent = notes.join(', ');
  for (const r of data.recordings) {
    let last = 0;
    for (const e of r.events) {
      if (!all) await new Promise((ok) => setTimeout(ok, Math.min(1000, e.ms - last)));
      if (run !== playing) return;
      out.textContent += e.text;
      last = e.ms;
    }
  }
}

async function render() {
  const st = state();
  const tables = st.view === 'tables';
  $('results').hidden = tables;
  $('tables').hidden = !tables;
  if (tables) {
    $('detail').hidden = true;
    await showTable(st);
    return;
  }
  $('q').value = st.q;
  await Promise.all([showResults(st), showSession(st.s)]);
}

document.addEventListener('DOMContentLoaded', async () => {
  const me = await getJson('/api/me');
  $('user').textContent = me.user;
  $('csrf').value = me.csrf;
  $('search').addEventListener('submit', (e) => { e.preventDefault(); go({ q: $('q').value.trim(), offset: 0, s: null }); });
  $('table-name').addEventListener('change', () => go({ view: 'tables', t: $('table-name').value }));
  $('nav-sessions').addEventListener('click', (e) => { e.preventDefault(); go({}); });
  $('prev').addEventListener('click', () => { const st = state(); go({ ...st, offset: Math.max(0, st.offset - PAGE) }); });
  $('next').addEventListener('click', () => { const st = state(); go({ ...st, offset: st.offset + PAGE }); });
  window.addEventListener('hashchange', render);
  render();
});
