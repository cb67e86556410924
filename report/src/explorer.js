// The session explorer: search and filter the embedded sessions, open one to see its timeline.
import { h, clear, vis, lineText, plain, sensorName, fmtInt, fmtNum, fmtTime, fmtDuration, debounce, timeNode, servedByServe, servedHref, servedSessionLink } from './dom.js';
import { DataTable } from './table.js';
import { K, haystack } from './data.js';
import { ttyBlock } from './player.js';

const NO_SENSOR = '\u0001(none)';  // the select's value for the empty sensor

let ctx = null;
let table = null;
let drillFilter = null;  // { label, test(s) }
const f = {};            // filter inputs
let countEl = null;
let chipsEl = null;

/** A link that opens a session in the dialog (in-page: '#session=<id>'). */
export function sessionLink(id, text) {
  return h('a', { href: '#session=' + encodeURIComponent(id), class: 'sess-link' }, vis(text ?? id, 80));
}

/** Shows the sessions matching test in the explorer and scrolls there. ids: Set or array, or a test(s). */
export function drill(label, testOrIds) {
  let test = testOrIds;
  if (Array.isArray(testOrIds) || testOrIds instanceof Set) {
    const set = new Set(testOrIds);
    test = (s) => set.has(s.id);
  }
  drillFilter = { label, test };
  apply();
  document.getElementById('sec-explorer').scrollIntoView({ block: 'start' });
}

/** A small "sessions" button that drills down. */
export function drillButton(label, testOrIds, text = 'show') {
  return h('button', { class: 'link no-print', type: 'button', text, title: `Show in the session explorer: ${plain(label, 300)}`,
    onclick: (e) => { e.stopPropagation(); drill(label, testOrIds); } });
}

function matches(s) {
  const q = f.q.value.trim().toLowerCase();
  if (q && !haystack(s).includes(q)) return false;
  const ip = f.ip.value.trim();
  if (ip && !s.src_ip.startsWith(ip)) return false;
  if (f.sensor.value && s.sensor !== (f.sensor.value === NO_SENSOR ? '' : f.sensor.value)) return false;
  if (f.end.value && s.end_kind !== f.end.value) return false;
  if (f.channel.value && s.channel !== f.channel.value) return false;
  const camp = f.campaign.value.trim();
  if (camp && s.campaign !== camp) return false;
  const cred = f.cred.value.trim().toLowerCase();
  if (cred) {
    let ok = false;
    for (const it of s.items) {
      if (it[1] !== K.login) continue;
      const u = it[2].toLowerCase(), p = it[3].toLowerCase();
      if (u.includes(cred) || p.includes(cred) || `${u}/${p}`.includes(cred)) { ok = true; break; }
    }
    if (!ok) return false;
  }
  const cmd = f.cmd.value.trim().toLowerCase();
  if (cmd && !s.items.some((it) => (it[1] === K.command || it[1] === K.command_failed) && it[2].toLowerCase().includes(cmd))) return false;
  if (f.from.value) {
    const t = Date.parse(f.from.value + 'T00:00:00Z');
    if (Number.isFinite(t) && s.end < t) return false;
  }
  if (f.to.value) {
    const t = Date.parse(f.to.value + 'T00:00:00Z') + 86400000;
    if (Number.isFinite(t) && s.start >= t) return false;
  }
  if (f.hasCommands.checked && !s.commands) return false;
  if (f.hasLogin.checked && !s.login_successes) return false;
  if (f.hasDownload.checked && !s.items.some((it) => it[1] === K.download || it[1] === K.download_failed || it[1] === K.upload || it[1] === K.file_write)) return false;
  if (drillFilter && !drillFilter.test(s)) return false;
  return true;
}

function apply() {
  const rows = ctx.sessions.filter(matches);
  table.setRows(rows);
  const total = ctx.D.sessions.total;
  countEl.textContent = `${fmtInt(rows.length)} of the ${fmtInt(ctx.sessions.length)} embedded sessions match` +
    (ctx.sessions.length < total ? ` (the run has ${fmtInt(total)}).` : '.');
  clear(chipsEl);
  if (drillFilter) {
    chipsEl.appendChild(h('span', { class: 'chip' }, h('span', { text: 'Drill-down: ' }), vis(drillFilter.label, 120),
      h('button', { type: 'button', title: 'Remove this filter', 'aria-label': 'Remove this filter', text: '×',
        onclick: () => { drillFilter = null; apply(); } })));
  }
}

export function initExplorer(c, sec) {
  ctx = c;
  const S = ctx.D.sessions;
  const sensors = [...new Set(ctx.sessions.map((s) => s.sensor))].sort();
  const campaigns = [...new Set(ctx.sessions.map((s) => s.campaign).filter(Boolean))].sort();
  const option = (v, t) => h('option', { value: v, text: t ?? plain(v, 60) });
  const field = (label, input, cls) => h('label', { class: 'field' + (cls ? ' ' + cls : '') }, label, input);
  f.q = h('input', { type: 'search', id: 'x-q', placeholder: 'address, session, credential, command, URL…' });
  f.ip = h('input', { type: 'search', id: 'x-ip', placeholder: 'e.g. 203.0.113.' });
  // '' is 'any': the empty sensor gets a value of its own
  f.sensor = h('select', { id: 'x-sensor' }, option('', 'any'), sensors.map((s) => (s === '' ? option(NO_SENSOR, sensorName(s)) : option(s))));
  f.cred = h('input', { type: 'search', id: 'x-cred', placeholder: 'user, password or user/password' });
  f.cmd = h('input', { type: 'search', id: 'x-cmd', placeholder: 'text in a command line' });
  f.campaign = h('input', { type: 'search', id: 'x-campaign', list: 'x-campaigns', placeholder: 'C…' });
  const campList = h('datalist', { id: 'x-campaigns' }, campaigns.map((c) => option(c)));
  f.end = h('select', { id: 'x-end' }, option('', 'any'), ['exit', 'disconnect', 'timeout', 'unknown'].map((k) => option(k)));
  f.channel = h('select', { id: 'x-channel' }, option('', 'any'), ['shell', 'exec', 'none'].map((k) => option(k)));
  f.from = h('input', { type: 'date', id: 'x-from' });
  f.to = h('input', { type: 'date', id: 'x-to' });
  f.hasCommands = h('input', { type: 'checkbox', id: 'x-has-cmd' });
  f.hasLogin = h('input', { type: 'checkbox', id: 'x-has-login' });
  f.hasDownload = h('input', { type: 'checkbox', id: 'x-has-dl' });
  const reset = h('button', { class: 'btn', type: 'button', id: 'x-reset', text: 'Reset filters', onclick: () => {
    for (const k of ['q', 'ip', 'cred', 'cmd', 'campaign', 'from', 'to']) f[k].value = '';
    for (const k of ['sensor', 'end', 'channel']) f[k].value = '';
    for (const k of ['hasCommands', 'hasLogin', 'hasDownload']) f[k].checked = false;
    drillFilter = null;
    apply();
  } });
  const later = debounce(apply, 160);
  for (const k of Object.keys(f)) f[k].addEventListener(f[k].tagName === 'SELECT' || f[k].type === 'checkbox' || f[k].type === 'date' ? 'change' : 'input', later);

  countEl = h('div', { class: 'cap-note', id: 'x-count', 'aria-live': 'polite' });
  chipsEl = h('div', { class: 'chips' });
  table = new DataTable({
    rows: ctx.sessions,
    pageSize: 50,
    filter: false,
    empty: 'No embedded session matches these filters.',
    columns: [
      { label: 'start (UTC)', type: 'time', get: (s) => s.start, render: (s) => timeNode(s.start) },
      { label: 'session', type: 'text', get: (s) => s.id, render: (s) => sessionLink(s.id) },
      { label: 'src_ip', type: 'text', get: (s) => s.src_ip, render: (s) => vis(s.src_ip, 60) },
      { label: 'logins', type: 'int', get: (s) => s.login_attempts, render: (s) => `${fmtInt(s.login_attempts)}${s.login_successes ? ` (${fmtInt(s.login_successes)} ok)` : ''}` },
      { label: 'commands', type: 'int', get: (s) => s.commands },
      { label: 'end', type: 'text', get: (s) => s.end_kind, render: (s) => h('span', { class: 'nowrap', text: `${s.end_kind}${s.channel !== 'none' ? ' · ' + s.channel : ''}` }) },
      { label: 'campaign', type: 'text', get: (s) => s.campaign, render: (s) => s.campaign ? vis(s.campaign, 20) : null },
      { label: 'last command', type: 'text', wide: true, minWidth: '13em', get: (s) => s.last_command, render: (s) => s.commands ? lineText(s.last_command, 80) : null },
      { label: 'last step', type: 'text', wide: true, minWidth: '13em', get: (s) => s.last_step || '', render: (s) => s.last_step ? vis(s.last_step, 80) : null },
    ],
  });
  table.el.id = 'x-results';

  const capText = S.embedded < S.total
    ? `This report embeds ${fmtInt(S.embedded)} of the run's ${fmtInt(S.total)} sessions: the ${fmtInt(S.referenced)} that other sections link to, ` +
      `plus up to ${fmtInt(S.cap)} of the most relevant others (sessions with commands first, then with logins, then the rest; most recent first). ` +
      'Every session is in sessions.jsonl and cowrie.sqlite.' +
      (S.budget_hit ? ` The selection stopped early, at ${fmtInt(S.embedded)} sessions, when their events and strings reached the report's size budget (${fmtInt(S.budget_bytes / 1048576)} MB); links to sessions left out say so.` : '')
    : `All ${fmtInt(S.total)} sessions of the run are embedded.`;
  // Under serve, the sessions left out are a search away: its page searches every one.
  const everyLink = servedByServe() && S.embedded < S.total
    ? h('p', { class: 'no-print' }, servedHref(h('a', { id: 'x-serve-search', text: `Search all ${fmtInt(S.total)} sessions on the server` }), {}))
    : null;
  if (everyLink) f.q.addEventListener('input', () => servedHref(everyLink.firstChild, f.q.value ? { q: f.q.value } : {}));
  sec.append(
    h('p', { class: 'notice', id: 'x-cap', text: capText }),
    everyLink,
    h('div', { class: 'filters no-print' },
      field('Search everything', f.q, 'wide'), field('Source address (prefix)', f.ip), field('Sensor', f.sensor),
      field('Credential', f.cred), field('Command text', f.cmd, 'wide'), field('Campaign', f.campaign), campList,
      field('End kind', f.end), field('Channel', f.channel), field('From (UTC day)', f.from), field('To (UTC day)', f.to),
      h('div', { class: 'checks' },
        h('label', null, f.hasCommands, ' ran commands'), h('label', null, f.hasLogin, ' logged in'),
        h('label', null, f.hasDownload, ' transferred files')),
      reset),
    chipsEl, countEl, table.el);
  apply();
}

/** Sets the explorer's filters from outside (the test uses the inputs directly). */
export function setFilter(name, value) {
  if (!f[name]) return;
  f[name].value = value;
  apply();
}

// ---------------------------------------------------------------- the session dialog

const KIND_LABEL = ['login', 'command', 'unknown command', 'download', 'download failed', 'upload', 'port forwarding', 'TTY log', 'file write'];

function eventRow(s, it) {
  const [dt, kind, a, b, c, num, flag] = it;
  const when = h('span', { class: 'when', title: fmtTime(s.start + dt, true) + ' UTC', text: `+${fmtNum(dt / 1000, 3)} s` });
  let cls = '';
  const what = [];
  switch (kind) {
    case K.login:
      cls = 'login';
      what.push(h('span', { class: 'badge ' + (flag ? 'ok' : 'bad'), text: flag ? 'login ok' : 'login failed' }), ' ', vis(a, 200), ' / ');
      what.push(c ? h('span', null, 'key ', vis(c, 120)) : vis(b, 200));
      break;
    case K.command:
      cls = flag ? 'command bad' : 'command';
      what.push(h('span', { class: 'badge kind', text: 'command' }), ' ', lineText(a, 2000));
      if (flag) what.push(' ', h('span', { class: 'badge bad', text: 'not found', title: 'Cowrie reported (part of) this line as an unknown command' }));
      break;
    case K.command_failed:
      cls = 'bad';
      what.push(h('span', { class: 'badge bad', text: 'unknown command' }), ' ', vis(a, 400));
      break;
    case K.download:
    case K.download_failed:
      cls = kind === K.download ? 'file' : 'bad';
      what.push(h('span', { class: 'badge ' + (kind === K.download ? 'ok' : 'bad'), text: kind === K.download ? 'download' : 'download failed' }), ' ', vis(a || '(no URL)', 400));
      if (b) what.push(h('div', { class: 'cap-note' }, 'sha256 ', vis(b, 80), c ? h('span', null, ' → ', vis(c, 200)) : null, flag ? ' (duplicate)' : ''));
      break;
    case K.upload:
      cls = 'file';
      what.push(h('span', { class: 'badge ok', text: 'upload' }), ' ', vis(a || '(no name)', 300));
      if (b || c) what.push(h('div', { class: 'cap-note' }, b ? h('span', null, 'sha256 ', vis(b, 80)) : null, c ? h('span', null, ' → ', vis(c, 200)) : null));
      break;
    case K.file_write:
      cls = c ? 'file bad' : 'file';
      what.push(h('span', { class: 'badge kind', text: 'file write' }), ' ', a ? vis(a, 300) : '(stdin)');
      if (c) what.push(' ', h('span', { class: 'badge bad', text: `persistence: ${c}`, title: 'a path that survives a reboot or a login' }));
      if (b) what.push(h('div', { class: 'cap-note' }, 'sha256 ', vis(b, 80), flag ? ' (duplicate)' : ''));
      break;
    case K.tcpip:
      what.push(h('span', { class: 'badge kind', text: 'forward' }), ' ', vis(`${a}:${num >= 0 ? num : '?'}`, 200), b ? h('span', { class: 'cap-note' }, ' claimed origin ', vis(b, 80)) : null);
      break;
    case K.ttylog:
      what.push(h('span', { class: 'badge kind', text: 'TTY log' }), ' ', vis(a, 200), num >= 0 ? ` (${fmtInt(num)} bytes)` : '');
      break;
    default:
      what.push(KIND_LABEL[kind] || String(kind));
  }
  return h('li', { class: cls }, when, h('span', { class: 'what' }, what));
}

export function openSession(id) {
  const dlg = document.getElementById('session-dialog');
  const body = clear(document.getElementById('session-body'));
  const title = document.getElementById('session-title');
  const s = ctx.byId.get(id);
  clear(title).append('Session ', vis(id, 100));
  if (!s && servedByServe()) {
    body.append(h('p', { class: 'notice', text:
      'This session is not embedded in the report (the explorer holds a capped selection); the server has every session: ' }),
    h('p', null, servedSessionLink(id, 'open it from the database')));
  } else if (!s) {
    body.append(h('p', { class: 'notice', text:
      'This session is not embedded in the report (the explorer holds a capped selection). ' +
      'Find it in sessions.jsonl or cowrie.sqlite beside this file:' }),
    h('pre', null, vis(`sqlite3 cowrie.sqlite "SELECT * FROM sessions WHERE sensor || '/' || session = '${id.replace(/'/g, "''")}'"`, 0)));
  } else {
    const kv = (k, v) => [h('dt', { text: k }), h('dd', null, v)];
    const campaignLink = s.campaign
      ? h('button', { class: 'link', type: 'button', onclick: () => { dlg.close(); drill(`campaign ${s.campaign}`, (x) => x.campaign === s.campaign); } }, vis(s.campaign, 30))
      : '—';
    body.append(h('dl', { class: 'kv' },
      kv('sensor', vis(sensorName(s.sensor), 200)),
      kv('from', h('span', null, vis(s.src_ip, 80), s.src_port >= 0 ? `:${s.src_port}` : '', ' → ', vis(s.dst_ip || '?', 80), s.dst_port >= 0 ? `:${s.dst_port}` : '', s.protocol ? ` (${s.protocol})` : '')),
      kv('time (UTC)', `${fmtTime(s.start, true)} → ${fmtTime(s.end, true)} (${fmtDuration(s.duration_s)})`),
      kv('client', s.client_version ? vis(s.client_version, 300) : '—'),
      kv('HASSH', s.hassh ? vis(s.hassh, 80) : '—'),
      kv('logins', `${fmtInt(s.login_attempts)} attempt${s.login_attempts === 1 ? '' : 's'}, ${fmtInt(s.login_successes)} successful`),
      kv('commands', `${fmtInt(s.commands)} line${s.commands === 1 ? '' : 's'}, ${fmtInt(s.failed_commands)} with an unknown command`),
      kv('end', `${s.end_kind} (channel ${s.channel})`),
      kv('campaign', campaignLink)));
    const list = h('ol', { class: 'events' });
    list.append(h('li', null, h('span', { class: 'when', text: '+0 s' }), h('span', { class: 'what' }, h('span', { class: 'badge kind', text: 'connect' }), ` ${fmtTime(s.start, true)} UTC`)));
    for (const it of s.items) list.append(eventRow(s, it));
    if (s.items_total > s.items.length) {
      list.append(h('li', { class: 'cap-note', text: `… ${fmtInt(s.items_total - s.items.length)} more events are in sessions.jsonl (the report keeps the first ${fmtInt(s.items.length)} per session).` }));
    }
    list.append(h('li', null, h('span', { class: 'when', text: `+${fmtNum(s.end - s.start >= 0 ? (s.end - s.start) / 1000 : 0, 3)} s` }),
      h('span', { class: 'what' }, h('span', { class: 'badge kind', text: 'end' }), ` ${s.end_kind} ${fmtTime(s.end, true)} UTC`)));
    body.append(h('h3', { text: 'Timeline' }), list);
    const tty = s.items.filter((it) => it[1] === K.ttylog);
    body.append(h('h3', { text: 'What the attacker saw' }), ttyBlock(ctx.D, s, tty));
  }
  if (!dlg.open) dlg.showModal();
}
