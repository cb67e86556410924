// cowrie-batch report: reads the JSON data block and draws every section. Vanilla JS; every
// attacker string goes through dom.js (text nodes only).
import { h, clear, vis, midCut, lineText, plain, sensorName, fmtInt, fmtNum, fmtPct, fmtBytes, fmtTime, fmtDay, fmtIso, isoToMs, isoWeek, hashNode } from './dom.js';
import { ARROW, section, sub, kpi, ids, idLinks, missingTable, tableBlock, detailOf, hasLogin, hasKey, hasCommand, hasFailed, hasFailedName, hasUrl, hasShasum, lastIs } from './blocks.js';
import { timelineBlock } from './timeline.js';
import { DataTable, columnsOf, capNote } from './table.js';
import { chart, base, axisStyle, tip, redrawAll, chartCount, drawPending } from './charts.js';
import { loadData, decodeSessions, tableOf, K } from './data.js';
import { initExplorer, openSession, drill, drillButton, sessionLink } from './explorer.js';

const D = loadData();
const sessions = decodeSessions(D);
const ctx = { D, sessions, byId: new Map(sessions.map((s) => [s.id, s])) };

// ---------------------------------------------------------------- overview

function buildOverview() {
  const O = D.overview;
  const sec = section('sec-overview', 'Overview');
  sec.append(h('p', { class: 'lead', text: O.first_event !== null
    ? `Time range ${fmtTime(O.first_event)} → ${fmtTime(O.last_event)} UTC. All times in this report are UTC.`
    : 'No sessions in the input. All times in this report are UTC.' }));
  sec.append(overviewKpis(O));
  sec.append(...timelineBlock(D.timeline, O));
  sec.append(h('div', { class: 'grid2' }, inputsBlock(O), sensorsBlock()));
  sec.append(...addressesBlock());
  return sec;
}

function overviewKpis(O) {
  const I = O.inputs;
  return h('div', { class: 'kpis' },
    kpi('sessions', fmtInt(O.sessions), `${fmtInt(O.sessions_closed)} closed`),
    kpi('source addresses', fmtInt(O.src_ips)),
    kpi('sensors', fmtInt(O.sensors)),
    kpi('login attempts', fmtInt(O.logins.attempts), `${fmtInt(O.logins.success)} successful`),
    kpi('command lines', fmtInt(O.commands), `${fmtInt(O.failed_commands)} with an unknown command`),
    kpi('downloads', fmtInt(O.downloads), `${fmtInt(O.downloads_failed)} failed, ${fmtInt(O.uploads)} uploads`),
    kpi('file writes', fmtInt(O.file_writes), `${fmtInt(O.persistence_writes)} to persistence paths`),
    kpi('forwarding requests', fmtInt(O.tcpip_requests)),
    kpi('input files', fmtInt(I.files), `${fmtBytes(I.bytes)} read`));
}

/** What was read: counts, rejected line samples, files skipped or damaged. */
function inputsBlock(O) {
  const I = O.inputs;
  const rej = Object.entries(I.rejected || {});
  const kv = (k, v) => [h('dt', { text: k }), h('dd', null, v)];
  const inputs = h('dl', { class: 'kv' },
    kv('JSON event logs read', fmtInt(I.files)),
    kv('bytes on disk', `${fmtBytes(I.bytes)} (${fmtInt(I.bytes)})`),
    kv('bytes decoded', `${fmtBytes(I.decoded_bytes)} (${fmtInt(I.decoded_bytes)})`),
    kv('compression', Object.entries(I.compression || {}).map(([k, v]) => `${k}: ${fmtInt(v)}`).join(', ') || '—'),
    kv('lines / events', `${fmtInt(I.lines)} lines, ${fmtInt(I.events)} events, ${fmtInt(I.blank_lines)} blank`),
    kv('rejected lines', rej.length ? rej.map(([k, v]) => `${k}: ${fmtInt(v)}`).join(', ') : 'none'),
    kv('repairs', `${fmtInt(I.utf8_repairs)} lines with invalid UTF-8 kept (escaped), ${fmtInt(I.type_errors)} fields of an unexpected type ignored, ${fmtInt(I.nul_bytes_skipped)} NUL bytes skipped, ${fmtInt(I.sessionless_events)} events without a session`),
    kv('other files', Object.entries(I.other_files || {}).map(([k, v]) => `${k}: ${fmtInt(v)}`).join(', ') || 'none'),
    kv('protocols', Object.entries(O.protocols).map(([k, v]) => `${k}: ${fmtInt(v)}`).join(', ')),
    kv('timeouts assumed', `idle ${fmtNum(O.options.idle_timeout_s)} s, authentication ${fmtNum(O.options.auth_timeout_s)} s`));
  const left = h('div', null, h('h3', { text: 'Inputs' }), inputs);
  if (I.reject_samples && I.reject_samples.length) {
    left.append(h('h4', { text: 'Rejected line samples' }), new DataTable({
      rows: I.reject_samples, pageSize: 10, filter: false,
      columns: [{ label: 'reason', get: (r) => r.reason }, { label: 'where', get: (r) => r.where, render: (r) => h('span', { title: r.where }, vis(midCut(r.where, 80), 0)) }, { label: 'excerpt', get: (r) => r.excerpt, wide: true, max: 120 }],
    }).el);
  }
  if (I.problems && I.problems.length) {
    left.append(h('h4', { text: 'Files skipped or damaged' }), new DataTable({
      rows: I.problems, pageSize: 10, filter: false, note: I.problems_total > I.problems.length ? `The first ${I.problems.length} of ${fmtInt(I.problems_total)}; summary.json has all.` : null,
      columns: [{ label: 'path', get: (r) => r.path, max: 100 }, { label: 'problem', get: (r) => r.reason }, { label: 'events kept', type: 'int', get: (r) => r.events_kept }],
    }).el);
  }
  return left;
}

function sensorsBlock() {
  const sensors = tableOf(D, 'sensors');
  return h('div', null, h('h3', { text: 'Sensors' }),
    tableBlock(sensors, ['sensor', 'sessions', 'src_ips', 'first_seen', 'last_seen'], {
      sensor: { render: (r) => vis(sensorName(r[sensors.idx.sensor]), 60) },
    }, { pageSize: 10, extra: [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`sensor ${plain(sensorName(r[sensors.idx.sensor]), 60)}`, (s) => s.sensor === r[sensors.idx.sensor]) }] }));
}

/** Source addresses (tables/src_ips.csv) and the files read. */
function addressesBlock() {
  const ips = tableOf(D, 'src_ips');
  const files = tableOf(D, 'files');
  return [...sub('Source addresses', ips ? ips.doc : ''),
    tableBlock(ips, ['src_ip', 'sessions', 'login_attempts', 'login_successes', 'commands', 'downloads', 'sensors', 'first_seen', 'last_seen'], {},
      { extra: [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`address ${r[0]}`, (s) => s.src_ip === r[0]) }] }),
    h('details', null, h('summary', { text: `Files read (${fmtInt(files ? files.total : 0)})` }),
      tableBlock(files, ['path', 'compression', 'bytes', 'decoded_bytes', 'lines', 'events', 'rejected', 'error'], { path: { max: 120 } }, { file: 'summary.json' }))];
}

// ---------------------------------------------------------------- why attackers leave

function buildLeave() {
  const sec = section('sec-leave', 'Why attackers leave',
    'Cowrie logs no reason for a disconnect. cowrie-batch infers how each session ended (exit, disconnect, idle timeout, unknown) and looks for the steps after which scripts stop: forks, where some sessions of one script leave and others go on; commands that are last in leaving sessions more often than chance (lift); and both per week.');
  endKindsBlock(sec);
  forksBlock(sec);
  predisconnectBlock(sec);
  weeklyBlock(sec);
  lastSeenBlock(sec);
  return sec;
}

/** End kinds by channel: a chart and a table. */
function endKindsBlock(sec) {
  const O = D.overview;
  const kinds = ['exit', 'disconnect', 'timeout', 'unknown'];
  const chans = ['shell', 'exec', 'none'];
  const cell = (k, c) => (O.end_by_channel.find((x) => x[0] === k && x[1] === c) || [0, 0, 0])[2];
  const el = h('div', { class: 'chart short', id: 'chart-endkinds' });
  chart(el, (c) => ({
    ...base(c),
    legend: { top: 0, textStyle: { color: c.muted } },
    grid: { left: 90, right: 30, top: 34, bottom: 30 },
    xAxis: { type: 'value', ...axisStyle(c) },
    yAxis: { type: 'category', data: kinds, ...axisStyle(c) },
    tooltip: { ...base(c).tooltip, trigger: 'item', formatter: (p) => tip(`${p.name} · ${p.seriesName}`, [['sessions', fmtInt(p.value)], ['of all sessions', fmtPct(p.value / Math.max(1, O.sessions))]]) },
    series: chans.map((ch) => ({ name: ch, type: 'bar', stack: 'k', barMaxWidth: 26, data: kinds.map((k) => cell(k, ch)) })),
  }), (p) => drill(`end ${p.name}, channel ${p.seriesName}`, (s) => s.end_kind === p.name && s.channel === p.seriesName));
  const rows = kinds.map((k) => ({ k, n: O.end_kinds[k] || 0, by: chans.map((c) => cell(k, c)) }));
  const endTable = new DataTable({
    rows, filter: false, pageSize: 10,
    columns: [
      { label: 'end kind', get: (r) => r.k },
      { label: 'sessions', type: 'int', get: (r) => r.n },
      { label: 'share', type: 'pct', get: (r) => r.n / Math.max(1, O.sessions) },
      ...chans.map((c, i) => ({ label: c, type: 'int', get: (r) => r.by[i] })),
      { label: '', sortable: false, get: () => null, render: (r) => drillButton(`end ${r.k}`, (s) => s.end_kind === r.k) },
    ],
  });
  sec.append(...sub('How sessions end', 'End kinds by channel (shell: a terminal; exec: commands without one; none: no commands). Click a bar for its sessions.'),
    h('div', { class: 'grid2' }, h('div', { class: 'chart-box' }, el), endTable.el));
}

/** Forks: the prefix tree, and its rows as a table. */
function forksBlock(sec) {
  const forks = tableOf(D, 'forks');
  sec.append(...sub('Forks: where scripts are cut short',
    'The prefix tree of step templates of shell sessions (steps: command lines without the markers bots print between steps, markers.csv, and without exit; exec channels close by design and are left out), with the steps where sessions of the same script split: some leave, the others go on. The bar is the stop rate, stopped / (stopped + continued), with its 95 % interval: red, scripts stop there; green, they go on. A step where scripts reliably stop is a likely honeypot tell.'));
  if (!forks || !forks.rows.length) sec.append(h('p', { class: 'empty', text: 'No forks: no prefix was reached by enough sessions that both left and went on.' }));
  else {
    sec.append(forkTree(forks));
    const f = forks.idx;
    sec.append(h('details', null, h('summary', { text: 'The fork rows as a table' }), tableBlock(forks, ['channel', 'depth', 'command', 'reached', 'stopped', 'continued', 'timed_out', 'stop_rate', 'next_commands', 'campaigns'], {
      command: { wide: true, render: (r) => h('div', null, vis(r[f.command], 200), h('div', { class: 'cap-note' }, 'after ', vis(r[f.prefix], 160))) },
      stop_rate: { render: (r) => h('span', null, fmtPct(r[f.stop_rate]), h('span', { class: 'ci', text: ` [${fmtPct(r[f.stop_rate_low], 0)}–${fmtPct(r[f.stop_rate_high], 0)}]` })) },
      next_commands: { max: 120 },
    }, { extra: [{ label: 'stopped sessions', sortable: false, get: () => null, render: (r) => {
      const row = forks.rows.indexOf(r);
      const ex = (D.drill.forks[row] || []);
      return h('span', null, drillButton(`stopped after ${plain(r[f.prefix], 120)}`, ex.length ? ex : ids(r[f.example_sessions]), `${fmtInt(ex.length)} examples`));
    } }] })));
  }
}

/** Commands before a disconnect, as templates or as typed. */
function predisconnectBlock(sec) {
  const pre = tableOf(D, 'predisconnect');
  sec.append(...sub('Commands before a disconnect (lift)',
    'For each step (as typed without markers and exit, and as a template): how often it is the last step of a shell session the attacker ended (exit or disconnect), against how often chance predicts given how often it runs. A lift well above 1, with its 95 % interval above 1, marks a step after which attackers leave; unlike the forks it does not compare with the same script. Exec channels close after their command by design and never count as leaving (last_exec).'));
  if (!pre) sec.append(missingTable('predisconnect'));
  else {
    const p = pre.idx;
    let kind = 'template';
    const holder = h('div');
    const draw = () => {
      const rows = pre.rows.filter((r) => r[p.kind] === kind);
      const t = { ...pre, rows };
      clear(holder).append(new DataTable({
        rows, pageSize: 15, note: capNote(pre),
        detail: detailOf(pre, ['command', 'expected_left_last', 'lift_low', 'lift_high', 'median_secs_to_close', 'failed_rate', 'end_kinds', 'last_shell', 'last_exec']),
        columns: columnsOf(t, ['command', 'sessions_with', 'sessions_last', 'left_last', 'lift', 'share_last', 'end_kinds'], {
          command: { wide: true, max: 200 }, end_kinds: { render: (r) => String(r[p.end_kinds] || '').split(';').filter((x) => !x.endsWith(':0')).join(', ') },
          lift: { type: 'real', render: (r) => h('span', null, fmtNum(r[p.lift], 2), h('span', { class: 'ci', text: ` [${fmtNum(r[p.lift_low], 2)}–${fmtNum(r[p.lift_high], 2)}]` })) },
          share_last: { type: 'pct' }, failed_rate: { type: 'pct' }, expected_left_last: { digits: 1 },
        }).concat([{ label: 'sessions', sortable: false, get: () => null, render: (r) => {
          const ex = D.drill.predisconnect[pre.rows.indexOf(r)] || [];
          return drillButton(`last step (${kind}) ${plain(r[p.command], 120)}, left`, (s) => lastIs(kind, r[p.command])(s) || ex.includes(s.id), 'examples');
        } }]),
      }).el);
    };
    const segBox = h('div', { class: 'seg no-print', role: 'group' });
    for (const [v, label] of [['template', 'Templates'], ['raw', 'Command lines']]) {
      segBox.appendChild(h('button', { type: 'button', text: label, 'aria-pressed': String(v === kind), onclick: (e) => {
        kind = v;
        [...segBox.children].forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
        draw();
      } }));
    }
    draw();
    sec.append(h('div', { class: 'toolbar' }, segBox), holder);
  }
}

/** The predisconnect shares per ISO week. */
function weeklyBlock(sec) {
  const wk = tableOf(D, 'predisconnect_weekly');
  sec.append(...sub('Per week', 'Share of the sessions running a step in which it was the last step, per ISO week (sessions of all sensors together), for the commands that were last most often. A change in the share after a honeypot change shows its effect.'));
  if (!wk || !wk.rows.length) sec.append(h('p', { class: 'empty', text: 'No weekly rows.' }));
  else {
    const w = wk.idx;
    const byCmd = new Map();
    for (const r of wk.rows) {
      const c = r[w.command];
      if (!byCmd.has(c)) byCmd.set(c, new Map());
      const m = byCmd.get(c);
      const e = m.get(r[w.week]) || { with: 0, last: 0 };
      e.with += r[w.sessions_with];
      e.last += r[w.sessions_last];
      m.set(r[w.week], e);
    }
    const totals = [...byCmd.entries()].map(([c, m]) => [c, [...m.values()].reduce((a, e) => a + e.last, 0)]).sort((a, b) => b[1] - a[1]);
    const top = totals.slice(0, 6).map((x) => x[0]);
    const weeks = [...new Set(wk.rows.map((r) => r[w.week]))].sort();
    const el2 = h('div', { class: 'chart', id: 'chart-weekly' });
    chart(el2, (c) => ({
      ...base(c),
      legend: { type: 'scroll', top: 0, textStyle: { color: c.muted }, formatter: (n) => plain(n, 40) },
      grid: { left: 56, right: 24, top: 40, bottom: 60 },
      xAxis: { type: 'category', data: weeks, ...axisStyle(c) },
      yAxis: { type: 'value', min: 0, max: 1, name: 'share last', axisLabel: { formatter: (v) => `${Math.round(v * 100)} %`, color: c.muted }, ...axisStyle(c) },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8, borderColor: c.border }],
      tooltip: { ...base(c).tooltip, trigger: 'item', formatter: (p) => {
        const e = byCmd.get(top[p.seriesIndex]).get(p.name);
        return tip(plain(top[p.seriesIndex], 200), [['week', p.name], ['sessions running it', fmtInt(e.with)], ['last in', fmtInt(e.last)], ['share', fmtPct(p.value[1] ?? p.value)]]);
      } },
      series: top.map((cmd) => ({
        name: plain(cmd, 60), type: 'line', connectNulls: false, symbolSize: 6,
        data: weeks.map((wn) => { const e = byCmd.get(cmd).get(wn); return e && e.with ? [wn, e.last / e.with] : [wn, null]; }),
      })),
    }));
    sec.append(h('div', { class: 'chart-box' }, el2));
    sec.append(h('details', null, h('summary', { text: `Weekly rows per sensor (${fmtInt(wk.rows.length)})` }),
      tableBlock(wk, ['week', 'sensor', 'command', 'sessions_with', 'sessions_last', 'left_last', 'share_last', 'lift'], {
        command: { wide: true, max: 140 }, share_last: { type: 'pct' }, lift: { digits: 2 }, sensor: { max: 40 },
      }, { extra: [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`week ${r[w.week]}, sensor ${plain(r[w.sensor], 40)}, last ${plain(r[w.command], 80)}`,
        (s) => s.sensor === r[w.sensor] && isoWeek(s.start) === r[w.week] && s.left && s.last_template === r[w.command]) }] })));
  }
}

/** What they saw before leaving (tables from the TTY recordings). */
function lastSeenBlock(sec) {
  sec.append(...sub('What they saw before leaving',
    'From the TTY recordings given to analyze: for each last step of the shell sessions that left, the last lines of output the attacker saw (escape sequences removed), and the Cowrie defaults that showed in the output. Open an example session to replay its recording.'));
  const lo = tableOf(D, 'last_output');
  const tells = tableOf(D, 'tty_tells');
  const nrec = D.facts && D.facts['tty.sessions_with_recordings'];
  // No table, or tables from no recording at all: say so, not "no session left".
  if ((!lo && !tells) || !(Number(nrec) > 0)) sec.append(h('p', { class: 'empty', id: 'tty-none', text: 'No TTY recording of these sessions was given to analyze (pass the tty directory with the logs).' }));
  else {
    if (nrec !== undefined) sec.append(h('p', { class: 'cap-note', id: 'tty-count', text: `${fmtInt(Number(nrec))} sessions have a recording.` }));
    sec.append(h('div', { id: 'tbl-last-output' }, tableBlock(lo, ['command', 'sessions', 'last_lines', 'share', 'variants', 'example_session'], {
      command: { wide: true, max: 160 },
      last_lines: { wide: true, render: (r) => h('div', { class: 'last-lines' }, String(r[lo.idx.last_lines] || '').split('\n').map((l) => h('div', null, vis(l, 300)))) },
      share: { type: 'pct' },
      example_session: { render: (r) => r[lo.idx.example_session] ? sessionLink(r[lo.idx.example_session]) : null },
    }, { label: 'last_output', empty: 'No session with a recording left after a command.' })));
    sec.append(h('h4', { text: 'Cowrie defaults they saw' }), h('div', { id: 'tbl-tty-tells' }, tableBlock(tells, ['tell', 'what', 'sessions', 'example_session'], {
      what: { wide: true },
      example_session: { render: (r) => r[tells.idx.example_session] ? sessionLink(r[tells.idx.example_session]) : null },
    }, { label: 'tty_tells', empty: 'No Cowrie default showed in the recorded output.' })));
  }
}

/** The prefix tree of the fork rows as an outline: chains of plain steps are joined, each fork
 *  shows its stop rate as a bar (green: scripts go on, red: they stop) and drills down. */
function forkTree(forks) {
  const f = forks.idx;
  const roots = new Map();
  forks.rows.forEach((r, row) => {
    const ch = r[f.channel];
    if (!roots.has(ch)) roots.set(ch, { step: `${ch} sessions`, kids: new Map(), channel: true });
    let node = roots.get(ch);
    let steps = String(r[f.prefix]).split(ARROW);
    if (steps.length !== r[f.depth]) steps = [r[f.prefix]];
    for (const st of steps) {
      if (!node.kids.has(st)) node.kids.set(st, { step: st, kids: new Map() });
      node = node.kids.get(st);
    }
    node.row = row;
  });
  const rateColor = (rate) => `color-mix(in srgb, var(--high) ${Math.round(rate * 100)}%, var(--ok))`;
  const render = (node) => {
    // join a chain of plain steps (no fork, one child) into one line
    const chain = [node];
    let n = node;
    while (n.row === undefined && !n.channel && n.kids.size === 1) {
      n = [...n.kids.values()][0];
      chain.push(n);
    }
    const li = h('li');
    const line = h('div', { class: 'node' });
    if (node.channel) line.append(h('span', { class: 'badge kind', text: node.step }));
    else {
      chain.forEach((x, i) => {
        if (i) line.append(h('span', { class: 'arrow', text: ' → ' }));
        line.append(h('span', { class: x.row !== undefined ? 'step fork' : 'step' }, vis(x.step, 140)));
      });
    }
    const last = chain[chain.length - 1];
    if (last.row !== undefined) {
      const r = forks.rows[last.row];
      const ex = D.drill.forks[last.row] || [];
      const rate = r[f.stop_rate];
      line.append(h('div', { class: 'forkinfo' },
        h('span', { class: 'rate', title: `stop rate ${fmtPct(rate)}` }, h('span', { class: 'fill', css: { width: `${Math.max(2, Math.round(rate * 100))}%`, background: rateColor(rate) } })),
        h('b', { text: `${fmtPct(rate, 0)} stop` }),
        h('span', { class: 'ci', text: ` [${fmtPct(r[f.stop_rate_low], 0)}–${fmtPct(r[f.stop_rate_high], 0)}] ` }),
        h('span', { text: `${fmtInt(r[f.stopped])} stopped · ${fmtInt(r[f.continued])} went on${r[f.timed_out] ? ` · ${fmtInt(r[f.timed_out])} timed out` : ''} · reached by ${fmtInt(r[f.reached])} ` }),
        drillButton(`stopped after ${plain(r[f.prefix], 120)}`, ex.length ? ex : ids(r[f.example_sessions]), `${fmtInt(ex.length || ids(r[f.example_sessions]).length)} stopped session${(ex.length || ids(r[f.example_sessions]).length) === 1 ? "" : "s"}`)));
    }
    li.append(line);
    if (last.kids.size) li.append(h('ul', null, [...last.kids.values()].map(render)));
    return li;
  };
  return h('div', { class: 'forktree', id: 'fork-tree' }, h('ul', null, [...roots.values()].map(render)));
}

// ---------------------------------------------------------------- what is missing

function buildMissing() {
  const sec = section('sec-missing', 'What is missing: failed commands',
    "Input lines for which Cowrie reported an unknown command: what attackers expected the system to have. 'disconnect_after_rate' is the share of sessions whose next step was leaving (no step after its line, and a shell session that the attacker ended); 'went_on' counts those that ran another step.");
  const t = tableOf(D, 'failed_commands');
  sec.append(tableBlock(t, ['command', 'name', 'sessions', 'events', 'src_ips', 'disconnect_after_rate', 'first_seen', 'last_seen'], {
    command: { wide: true, max: 200 }, disconnect_after_rate: { type: 'pct' },
  }, { label: 'failed_commands', extra: t ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`unknown command ${plain(r[t.idx.command], 80)}`, hasFailed(r[t.idx.command])) }] : [] }));
  return sec;
}

// ---------------------------------------------------------------- hints

/** The evidence of a hint as a key/value list (its example sessions are links instead). */
function hintEvidence(ev) {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of Object.entries(ev)) {
    if (k === 'example_sessions') continue;
    let val;
    if (typeof v === 'number') val = Number.isInteger(v) ? fmtInt(v) : fmtNum(v, 4);
    else if (typeof v === 'string') val = vis(v, 300);
    else val = vis(JSON.stringify(v), 300);
    dl.append(h('dt', { text: k }), h('dd', null, val));
  }
  return dl;
}

/** Links from a hint to its sessions: examples, the fork or last step it names, its unknown command. */
function hintLinks(x, ev) {
  const forks = tableOf(D, 'forks');
  const pre = tableOf(D, 'predisconnect');
  const links = h('div', { class: 'links' });
  if (Array.isArray(ev.example_sessions) && ev.example_sessions.length) {
    links.append(h('span', { class: 'cap-note', text: 'example sessions:' }), ...ev.example_sessions.map((id) => sessionLink(String(id))),
      drillButton(`hint ${plain(x.id, 60)}: example sessions`, ev.example_sessions.map(String), 'show all in explorer'));
  }
  if (typeof ev.prefix === 'string' && forks) {
    const row = forks.rows.findIndex((r) => r[forks.idx.prefix] === ev.prefix && (!ev.channel || r[forks.idx.channel] === ev.channel));
    if (row >= 0 && (D.drill.forks[row] || []).length) links.append(drillButton(`stopped after ${plain(ev.prefix, 120)}`, D.drill.forks[row], `${fmtInt(D.drill.forks[row].length)} sessions that stopped here`));
  }
  if (typeof ev.command === 'string' && pre) {
    links.append(drillButton(`last step ${plain(ev.command, 120)}, left`, lastIs('template', ev.command), 'sessions that left after it'));
  }
  if (typeof ev.example_command === 'string') {
    const name = x.id.startsWith('implement-') ? x.id.slice('implement-'.length) : ev.example_command.split(/\s+/)[0];
    links.append(drillButton(`unknown command ${plain(name, 60)}`, hasFailedName(name), 'sessions with this unknown command'));
  }
  return links;
}

function hintCard(x) {
  const ev = x.evidence || {};
  const links = hintLinks(x, ev);
  return h('article', { class: `hint ${x.severity}`, id: 'hint-' + String(x.id).replace(/[^A-Za-z0-9_-]/g, '_') },
    h('h3', null, h('span', { class: `badge ${x.severity}`, text: x.severity }), h('span', { text: plain(x.title) })),
    h('div', { class: 'cap-note' }, 'id ', h('code', { text: x.id })),
    h('p', { class: 'rec', text: plain(x.recommendation || '') }),
    x.caveat ? h('p', { class: 'caveat', text: 'Caveat: ' + plain(x.caveat) }) : null,
    hintEvidence(ev), links.childNodes.length ? links : null);
}

function buildHints() {
  const sec = section('sec-hints', 'Hints: what to change in the honeypot',
    'The hints.json catalogue, most severe first: each hint with the evidence behind it and links to the sessions it is based on.');
  const H = D.hints && D.hints.hints ? D.hints.hints : [];
  if (!H.length) {
    sec.append(h('p', { class: 'empty', text: 'No hints for this run.' }));
    return sec;
  }
  const order = { high: 0, medium: 1, low: 2, info: 3 };
  const list = [...H].map((x, i) => [x, i]).sort((a, b) => (order[a[0].severity] ?? 4) - (order[b[0].severity] ?? 4) || a[1] - b[1]).map((x) => x[0]);
  const counts = {};
  for (const x of list) counts[x.severity] = (counts[x.severity] || 0) + 1;
  let shown = new Set(Object.keys(counts));
  const box = h('div', { id: 'hints-list' });
  const draw = () => {
    clear(box);
    for (const x of list) if (shown.has(x.severity)) box.append(hintCard(x));
  };
  const filt = h('div', { class: 'chips severity-filter no-print' });
  for (const sev of Object.keys(order)) {
    if (!counts[sev]) continue;
    const cb = h('input', { type: 'checkbox', checked: true, onchange: (e) => { if (e.target.checked) shown.add(sev); else shown.delete(sev); draw(); } });
    filt.append(h('label', { class: `badge ${sev}` }, cb, ` ${sev} ${fmtInt(counts[sev])}`));
  }
  draw();
  sec.append(filt, box, h('p', { class: 'cap-note', text: 'The same catalogue: hints.json, and `cowrie-batch hints OUTDIR` on the console.' }));
  return sec;
}

// ---------------------------------------------------------------- what changed

function buildChanged() {
  const F = D.facts || {};
  const sec = section('sec-changed', 'What changed',
    'Values first seen in the last days of the data, and days on which a series was unusual for itself (a robust score against the median of the 14 days with data before it).');
  noveltyBlock(sec, F);
  changesBlock(sec, F);
  return sec;
}

/** New in the last days (novelty_recent). */
function noveltyBlock(sec, F) {
  const days = F['novelty.window_days'];
  const ref = F['novelty.reference_time'];
  sec.append(...sub(`New in the last ${days ?? 'N'} days`, `Counted back from the data's own last event${ref ? ` (${fmtIso(ref)} UTC)` : ''}, not from today.`));
  if (F['novelty.has_history'] === false) sec.append(h('p', { class: 'notice', text: 'The data does not start before this window, so nothing is called new (without history, everything would be).' }));
  const rc = F['novelty.recent_counts'] || {};
  const tc = F['novelty.total_counts'] || {};
  const kinds = [...new Set([...Object.keys(tc), ...Object.keys(rc)])];
  const kindName = { credential: 'credentials', key_fingerprint: 'public keys', command_template: 'command templates', url: 'URLs', download_hash: 'file hashes', client_version: 'client versions', hassh: 'HASSHs' };
  sec.append(h('div', { class: 'kpis' }, kinds.map((k) => kpi(`new ${kindName[k] || k}`, fmtInt(rc[k] || 0), `of ${fmtInt(tc[k] || 0)} distinct`))));
  const nov = tableOf(D, 'novelty_recent');
  if (nov) {
    const n = nov.idx;
    const test = (r) => {
      const kind = r[n.kind], v = r[n.value];
      if (kind === 'credential') { try { const [u, p] = JSON.parse(v); return hasLogin(u, p); } catch { return () => false; } }
      if (kind === 'url') return hasUrl(v);
      if (kind === 'download_hash') return hasShasum(v);
      if (kind === 'client_version') return (s) => s.client_version === v;
      if (kind === 'hassh') return (s) => s.hassh === v;
      return null;
    };
    const credential = (v) => { try { const a = JSON.parse(v); return Array.isArray(a) && a.length === 2 ? a : null; } catch { return null; } };
    sec.append(tableBlock(nov, ['kind', 'value', 'first_seen', 'last_seen', 'sensors', 'sessions', 'src_ips'], { value: { wide: true, max: 200, render: (r) => {
      const cr = r[n.kind] === 'credential' ? credential(r[n.value]) : null;
      return cr ? h('span', { title: 'username / password' }, vis(cr[0], 80), h('span', { class: 'cap-note', text: ' / ' }), vis(cr[1], 80)) : vis(r[n.value], 200);
    } } }, {
      empty: 'Nothing new in the window.',
      extra: [{ label: '', sortable: false, get: () => null, render: (r) => { const t = test(r); return t ? drillButton(`new ${r[n.kind]} ${plain(r[n.value], 80)}`, t) : null; } }],
    }));
  }
}

/** Flagged changes: one series with its baseline, and the flagged days. */
function changesBlock(sec, F) {
  const ch = tableOf(D, 'changes');
  sec.append(...sub('Flagged changes', `Days where |score| ≥ 4 and the difference is large enough (see docs/OUTPUTS.md). ${F['changes.flagged_count'] !== undefined ? fmtInt(F['changes.flagged_count']) + ' flagged days in all.' : ''} Pick a series to see it with its baseline; flagged days are red.`));
  if (!ch || !ch.rows.length) {
    sec.append(h('p', { class: 'empty', text: 'No daily series.' }));
    return;
  }
  const c = ch.idx;
  const series = new Map();
  for (const r of ch.rows) {
    const s = r[c.series];
    if (!series.has(s)) series.set(s, []);
    series.get(s).push(r);
  }
  const flagged = ch.rows.filter((r) => r[c.flag] === 1).sort((a, b) => Math.abs(b[c.score]) - Math.abs(a[c.score]));
  let current = flagged.length ? flagged[0][c.series] : 'sessions';
  const select = h('select', { id: 'changes-series', 'aria-label': 'Series' });
  for (const s of series.keys()) {
    const nf = series.get(s).filter((r) => r[c.flag] === 1).length;
    select.appendChild(h('option', { value: s, text: `${plain(s, 90)}${nf ? ` (${nf} flagged)` : ''}` }));
  }
  select.value = current;
  const el = h('div', { class: 'chart', id: 'chart-changes' });
  const build = (col) => changesOption(col, series.get(current) || [], c, current);
  const ch2 = chart(el, build);
  select.addEventListener('change', () => { current = select.value; ch2.update(build); });
  sec.append(h('div', { class: 'toolbar no-print' }, h('label', { class: 'field' }, 'Series', select)), h('div', { class: 'chart-box' }, el));
  const flagTable = new DataTable({
    rows: flagged, pageSize: 10, note: capNote(ch), empty: 'No flagged day.',
    columns: [
      { label: 'series', get: (r) => r[c.series], wide: true, max: 140 },
      { label: 'day (UTC)', type: 'time', get: (r) => r[c.day], render: (r) => r[c.day] },
      { label: 'value', type: 'real', get: (r) => r[c.value] },
      { label: 'baseline', type: 'real', get: (r) => r[c.baseline] },
      { label: 'score', type: 'real', digits: 2, get: (r) => r[c.score] },
      { label: 'kind', get: (r) => r[c.kind] },
      { label: '', sortable: false, get: () => null, render: (r) => h('button', { class: 'link', type: 'button', text: 'show', onclick: () => { current = r[c.series]; select.value = current; ch2.update(build); el.scrollIntoView({ block: 'center' }); } }) },
    ],
  });
  sec.append(flagTable.el);
}

/** The chart of one series of the changes table (rows of one series, c its column indexes). */
function changesOption(col, rows, c, current) {
  // Days without any session are collection gaps, not zeros: the lines break there.
  const line = (col2) => {
    const out = [];
    let prev = null;
    for (const r of rows) {
      const t = isoToMs(r[c.day] + 'T00:00:00Z');
      if (prev !== null && t - prev > 86400000) out.push([prev + 43200000, null]);
      out.push([t, r[col2]]);
      prev = t;
    }
    return out;
  };
  return {
    ...base(col),
    legend: { top: 0, textStyle: { color: col.muted } },
    grid: { left: 56, right: 24, top: 40, bottom: 60 },
    xAxis: { type: 'time', ...axisStyle(col), splitLine: { show: false } },
    yAxis: { type: 'value', ...axisStyle(col) },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8, borderColor: col.border }],
    tooltip: { ...base(col).tooltip, trigger: 'axis', formatter: (ps) => {
      const p = Array.isArray(ps) ? ps[0] : ps;
      const day = fmtDay(p.value[0]);
      const r = rows.find((x) => x[c.day] === day);
      if (!r) return null;
      return tip(`${plain(current, 120)} · ${r[c.day]}`, [['value', fmtNum(r[c.value], 3)], ['baseline', r[c.baseline] === null ? '—' : fmtNum(r[c.baseline], 3)],
        ['score', r[c.score] === null ? '—' : fmtNum(r[c.score], 2)], r[c.flag] ? ['flag', 'flagged'] : null]);
    } },
    series: [
      { name: 'value', type: 'line', showSymbol: rows.length < 120, symbolSize: 4, data: line(c.value), lineStyle: { width: 1.5 }, connectNulls: false },
      { name: 'baseline (median)', type: 'line', showSymbol: false, data: line(c.baseline), lineStyle: { type: 'dashed', width: 1.2 }, connectNulls: false },
      { name: 'flagged', type: 'scatter', symbolSize: 11, itemStyle: { color: col.high }, data: rows.filter((r) => r[c.flag] === 1).map((r) => [isoToMs(r[c.day] + 'T00:00:00Z'), r[c.value]]) },
    ],
  };
}

// ---------------------------------------------------------------- campaigns, paths, outliers, strings, ...

function buildCampaigns() {
  const F = D.facts || {};
  const sec = section('sec-campaigns', 'Campaigns',
    `Sessions with commands grouped by what they ran (template sets with Jaccard similarity ≥ 0.5 sharing at least two templates, linked into components). ${F['campaigns.count'] !== undefined ? fmtInt(F['campaigns.count']) + ' campaigns.' : ''}`);
  const t = tableOf(D, 'campaigns');
  if (!t) return sec.appendChild(missingTable('campaigns')) && sec;
  const c = t.idx;
  sec.append(h('p', { class: 'cap-note', text: 'Open a row (▸) for its credentials, downloads, addresses, sensors and example sessions; click a campaign id for all its sessions in the explorer.' }));
  sec.append(tableBlock(t, ['campaign', 'sessions', 'src_ips', 'sensors', 'first_seen', 'last_seen', 'template_sets', 'cohesion', 'example_commands'], {
    campaign: { render: (r) => h('button', { class: 'link', type: 'button', title: 'Show its sessions in the explorer', onclick: () => drill(`campaign ${r[c.campaign]}`, (s) => s.campaign === r[c.campaign]) }, vis(r[c.campaign], 20)) },
    example_commands: { wide: true, render: (r) => {
      const lines = String(r[c.example_commands] || '').split('\n');
      return h('div', null, lines.slice(0, 6).map((x) => h('div', null, vis(x, 120))), lines.length > 6 ? h('div', { class: 'cap-note', text: `… ${lines.length - 6} more lines` }) : null);
    } },
    cohesion: { digits: 2 },
  }, { pageSize: 10, detail: detailOf(t, ['templates', 'top_credentials', 'downloads', 'top_src_ips', 'top_sensors', 'shasums', 'example_sessions', 'example_commands'], {
    example_sessions: (r) => h('span', null, idLinks(r[c.example_sessions]), ' ', drillButton(`campaign ${r[c.campaign]}`, (s) => s.campaign === r[c.campaign], 'all its sessions')),
    example_commands: (r) => h('div', null, String(r[c.example_commands] || '').split('\n').map((x) => h('div', null, vis(x, 400)))),
  }) }));
  return sec;
}

function buildPaths() {
  const sec = section('sec-paths', 'Action paths',
    'What attackers run, as a graph of command templates: an arrow from one template to the next, thicker for more sessions, from the start of a session (top) to its end. Each template sits at its shortest distance from the start; arrows that go back up are loops. The graph holds the 40 most frequent transitions; hover for the full text, zoom with the wheel.');
  const tr = tableOf(D, 'transitions');
  if (tr && tr.rows.length) sec.append(transitionGraph(tr));
  else sec.append(h('p', { class: 'empty', text: 'No command transitions.' }));
  const ap = tableOf(D, 'action_paths');
  sec.append(...sub('Behaviours: whole command sequences'), tableBlock(ap, ['sequence', 'length', 'sessions', 'src_ips', 'sensors', 'first_seen', 'last_seen', 'example_session'], {
    sequence: { wide: true, max: 240 }, example_session: { render: (r) => idLinks(r[ap.idx.example_session]) },
  }, { label: 'action_paths', pageSize: 10 }));
  const ng = tableOf(D, 'ngrams');
  if (ng) sec.append(h('details', null, h('summary', { text: 'Runs of 2 and 3 commands (n-grams)' }), tableBlock(ng, ['n', 'ngram', 'count', 'sessions'], { ngram: { wide: true, max: 240 } })));
  const cmds = tableOf(D, 'commands');
  sec.append(...sub('Command lines'), tableBlock(cmds, ['command', 'count', 'sessions', 'src_ips', 'failed', 'first_seen', 'last_seen'], { command: { wide: true, max: 200, render: (r) => lineText(r[cmds.idx.command], 200) } },
    { label: 'commands', extra: cmds ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`command ${plain(r[0], 80)}`, hasCommand(r[0])) }] : [] }));
  return sec;
}

/** The 40 most frequent transitions (self-loops left out) with node weights and adjacency. */
function graphEdges(tr) {
  const t = tr.idx;
  const edges = tr.rows.filter((r) => r[t.from] !== r[t.to]).slice(0, 40);
  const weight = new Map();
  const out = new Map();
  const inc = new Map();
  for (const r of edges) {
    for (const k of [r[t.from], r[t.to]]) weight.set(k, (weight.get(k) || 0) + r[t.sessions]);
    if (!out.has(r[t.from])) out.set(r[t.from], []);
    out.get(r[t.from]).push(r[t.to]);
    if (!inc.has(r[t.to])) inc.set(r[t.to], []);
    inc.get(r[t.to]).push(r[t.from]);
  }
  return { edges, weight, out, inc, names: [...weight.keys()] };
}

/** Each node's layer: its distance from the start (^) along the drawn edges; the end ($) last. */
function graphDepths({ names, out, inc, weight }) {
  const depth = new Map([['^', 0]]);
  const queue = ['^'];
  while (queue.length) {
    const n = queue.shift();
    for (const m of out.get(n) || []) if (!depth.has(m) && m !== '$') { depth.set(m, depth.get(n) + 1); queue.push(m); }
  }
  let changed = true;
  while (changed) {  // nodes not reached from ^ in the drawn edges: below their predecessors
    changed = false;
    for (const n of names) {
      if (depth.has(n) || n === '$') continue;
      const ds = (inc.get(n) || []).filter((p) => depth.has(p)).map((p) => depth.get(p) + 1);
      depth.set(n, ds.length ? Math.min(...ds) : 1);
      changed = true;
    }
  }
  const maxD = Math.max(0, ...[...depth.values()]);
  if (weight.has('$')) depth.set('$', maxD + 1);
  return depth;
}

/** Nodes per layer, ordered by the mean position of their predecessors, and [x, layer] per node. */
function graphRows({ names, inc, weight }, depth) {
  const rows = [];
  for (const n of names) (rows[depth.get(n)] ||= []).push(n);
  const pos = new Map();
  rows.forEach((row, d) => {
    if (!row) return;
    const bary = (n) => {
      const ps = (inc.get(n) || []).filter((p) => pos.has(p) && depth.get(p) < d);
      return ps.length ? ps.reduce((a, p) => a + pos.get(p)[0], 0) / ps.length : 0.5;
    };
    row.sort((a, b) => bary(a) - bary(b) || weight.get(b) - weight.get(a) || (a < b ? -1 : 1));
    row.forEach((n, i) => pos.set(n, [(i + 1) / (row.length + 1), d]));
  });
  return { rows, pos };
}

/** The command transition graph, laid out in layers: a template's row is its shortest distance
 *  (in the drawn edges) from the session start; rows are ordered to keep arrows short. */
function transitionGraph(tr) {
  const t = tr.idx;
  const g = graphEdges(tr);
  const { edges, weight, names } = g;
  const depth = graphDepths(g);
  const { rows, pos } = graphRows(g, depth);
  const maxW = Math.max(...weight.values());
  const maxE = Math.max(...edges.map((r) => r[t.sessions]));
  const layers = rows.length;
  const el = h('div', { class: 'chart tall', id: 'chart-paths' });
  el.style.setProperty('height', `${Math.max(320, Math.min(1200, layers * 52 + 60))}px`);
  // Labels sit right of their node: the more nodes in a row, the shorter they are cut.
  const room = (n) => Math.max(12, Math.min(40, Math.floor(110 / rows[depth.get(n)].length)));
  const label = (n, full) => (n === '^' ? 'session start' : n === '$' ? 'session end' : plain(n, full ? 0 : room(n)));
  chart(el, (c) => ({
    ...base(c),
    tooltip: { ...base(c).tooltip, trigger: 'item', formatter: (p) => {
      if (p.dataType === 'edge') {
        const r = edges[p.dataIndex];
        return tip(`${label(r[t.from], true)} → ${label(r[t.to], true)}`, [['sessions', fmtInt(r[t.sessions])], ['times', fmtInt(r[t.count])]]);
      }
      const n = names[p.dataIndex];
      return tip(n === '^' || n === '$' ? label(n) : plain(n, 400), [['sessions on the drawn edges', fmtInt(weight.get(n))], ['distance from the start', String(depth.get(n))]]);
    } },
    series: [{
      type: 'graph', layout: 'none', roam: true, left: 30, right: 260, top: 30, bottom: 30,
      edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 7,
      label: { show: true, position: 'right', fontSize: 11, color: c.text, fontFamily: 'monospace', formatter: (p) => label(names[p.dataIndex]) },
      emphasis: { focus: 'adjacency', lineStyle: { opacity: 0.95 } },
      data: names.map((n) => ({
        name: n, x: pos.get(n)[0] * 1000, y: pos.get(n)[1] * 80,
        symbolSize: 8 + 16 * Math.sqrt(weight.get(n) / maxW),
        itemStyle: n === '^' ? { color: c.ok } : n === '$' ? { color: c.high } : undefined,
      })),
      links: edges.map((r) => {
        const back = depth.get(r[t.to]) <= depth.get(r[t.from]);
        return { source: r[t.from], target: r[t.to], lineStyle: { width: 0.8 + 5 * Math.sqrt(r[t.sessions] / maxE), opacity: back ? 0.4 : 0.6, curveness: back ? 0.35 : 0.05, color: back ? c.muted : c.accent, type: back ? 'dashed' : 'solid' } };
      }),
    }],
  }));
  return h('div', { class: 'chart-box' }, el);
}

function buildOutliers() {
  const F = D.facts || {};
  const sec = section('sec-outliers', 'Outliers',
    `Behaviours that did more, longer or rarer things than their peers (no login / login only / commands), with the features that made them odd. Near-identical sessions (same address or same commands, same binned features) are one row; downloads, uploads, new commands and long interactive work weigh more than login attempts. ${F['outliers.scored'] !== undefined ? fmtInt(F['outliers.scored']) + ' sessions scored.' : ''}`);
  const t = tableOf(D, 'outliers');
  if (!t) return sec.appendChild(missingTable('outliers')) && sec;
  const o = t.idx;
  sec.append(tableBlock(t, ['score', 'session', 'sessions', 'src_ip', 'start', 'peer_group', 'top_features', 'commands', 'downloads', 'login_attempts'], {
    session: { render: (r) => sessionLink(`${r[o.sensor]}/${r[o.session]}`) },
    score: { digits: 2 }, top_features: { render: (r) => String(r[o.top_features] || '').split(';').join(', ') },
  }, { pageSize: 15, detail: detailOf(t, ['src_ips', 'example_sessions', 'duration_s', 'commands', 'distinct_templates', 'template_rarity', 'tty_bytes', 'downloads', 'uploads', 'client_version', 'client_version_rarity', 'login_attempts', 'distinct_passwords', 'login_success'], {
    example_sessions: (r) => idLinks(r[o.example_sessions]),
  }) }));
  return sec;
}

function buildWeird() {
  const sec = section('sec-weird', 'Weird strings',
    'Commands, usernames, passwords and URLs that look like payloads rather than typing: long high-entropy tokens, base64 or hex runs, \\x escapes, control bytes, ELF headers. Shown escaped.');
  const t = tableOf(D, 'weird_strings');
  if (!t) return sec.appendChild(missingTable('weird_strings')) && sec;
  const w = t.idx;
  const test = (r) => {
    const v = r[w.value];
    const cut = r[w.truncated] === 1;
    const eq = (x) => (cut ? String(x).startsWith(v) : x === v);
    switch (r[w.kind]) {
      case 'command': return (s) => s.items.some((it) => it[1] === K.command && eq(it[2]));
      case 'username': return (s) => s.items.some((it) => it[1] === K.login && eq(it[2]));
      case 'password': return (s) => s.items.some((it) => it[1] === K.login && eq(it[3]));
      case 'url': return (s) => s.items.some((it) => (it[1] === K.download || it[1] === K.download_failed) && eq(it[2]));
      default: return () => false;
    }
  };
  sec.append(tableBlock(t, ['kind', 'value', 'reasons', 'sessions', 'src_ips', 'first_seen', 'last_seen'], {
    value: { wide: true, max: 200 }, reasons: { render: (r) => String(r[w.reasons]).split(';').join(', ') },
  }, { detail: detailOf(t, ['entropy', 'token_entropy', 'length', 'truncated', 'count', 'value']), extra: [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`${r[w.kind]} ${plain(r[w.value], 80)}`, test(r)) }] }));
  return sec;
}

function buildCredentials() {
  const sec = section('sec-creds', 'Credentials', 'Username and password pairs tried, most attempts first; an empty password is a value of its own. Public keys offered are in the second table.');
  const t = tableOf(D, 'credentials');
  sec.append(tableBlock(t, ['username', 'password', 'attempts', 'successes', 'sessions', 'src_ips', 'first_seen', 'last_seen'], { username: { max: 80 }, password: { max: 80 } },
    { label: 'credentials', extra: t ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`credential ${plain(r[0], 40)} / ${plain(r[1], 40)}`, hasLogin(r[0], r[1])) }] : [] }));
  const k = tableOf(D, 'key_fingerprints');
  sec.append(...sub('Public keys', 'Keys offered for public-key login (cowrie.client.fingerprint), per username and key fingerprint; an offer and the login event that answers it count as one attempt.'),
    tableBlock(k, ['username', 'fingerprint', 'attempts', 'successes', 'sessions', 'src_ips', 'first_seen', 'last_seen'], { username: { max: 80 }, fingerprint: { max: 80 } },
      { label: 'key_fingerprints', empty: 'No public keys offered.', extra: k ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`key ${plain(r[0], 40)} / ${plain(r[1], 60)}`, hasKey(r[0], r[1])) }] : [] }));
  return sec;
}

function buildClients() {
  const sec = section('sec-clients', 'Client versions and HASSH', 'The SSH client banner each session sent, and the HASSH fingerprint of its key exchange (the same tool has the same HASSH whatever banner it claims).');
  const cv = tableOf(D, 'client_versions');
  const hs = tableOf(D, 'hassh');
  sec.append(...sub('Client versions'), tableBlock(cv, ['client_version', 'sessions', 'src_ips', 'first_seen', 'last_seen'], { client_version: { wide: true, max: 160 } },
    { label: 'client_versions', extra: cv ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`client ${plain(r[0], 80)}`, (s) => s.client_version === r[0]) }] : [] }));
  sec.append(...sub('HASSH'), tableBlock(hs, ['hassh', 'sessions', 'src_ips', 'client_versions', 'top_client_version', 'first_seen', 'last_seen'], { top_client_version: { max: 80 } },
    { label: 'hassh', extra: hs ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`HASSH ${plain(r[0], 40)}`, (s) => s.hassh === r[0]) }] : [] }));
  return sec;
}

function buildDownloads() {
  const sec = section('sec-downloads', 'Downloads and URLs', 'Files fetched by URL (wget/curl/tftp/ftpget as Cowrie emulated them), with the SHA-256 of what arrived. URLs are shown as text, never as links. Redirect and stdin captures are under File writes.');
  const t = tableOf(D, 'downloads');
  sec.append(tableBlock(t, ['url', 'shasum', 'status', 'count', 'sessions', 'src_ips', 'first_seen', 'last_seen'], { url: { wide: true, max: 200 }, shasum: { render: (r) => (r[1] ? hashNode(r[1]) : null) } },
    { label: 'downloads', extra: t ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`download ${plain(r[0] || r[1], 80)}`, r[0] ? hasUrl(r[0]) : hasShasum(r[1])) }] : [] }));
  return sec;
}

function buildFileWrites() {
  const sec = section('sec-writes', 'File writes', 'Files written by `> file` redirects or captured from stdin (Cowrie logs them as file_download without a URL), one row per write. Writes to authorized_keys, cron, init scripts or shell profiles are marked as persistence.');
  const t = tableOf(D, 'file_writes');
  sec.append(tableBlock(t, ['time', 'path', 'persistence', 'shasum', 'src_ip', 'session'], {
    path: { wide: true, max: 200, render: (r) => (r[t.idx.path] ? vis(r[t.idx.path], 200) : '(stdin)') },
    persistence: { render: (r) => (r[t.idx.persistence] ? h('span', { class: 'badge bad', text: r[t.idx.persistence] }) : null) },
    shasum: { render: (r) => (r[t.idx.shasum] ? hashNode(r[t.idx.shasum]) : null) },
    session: { render: (r) => sessionLink(`${r[t.idx.sensor]}/${r[t.idx.session]}`) },
  }, { label: 'file_writes', empty: 'No file writes.' }));
  return sec;
}

function buildForwarding() {
  const sec = section('sec-forwarding', 'Forwarding targets', 'Where attackers asked the honeypot to open TCP connections for them (SSH direct-tcpip): spam relays, proxies, scans. Cowrie does not connect them.');
  const t = tableOf(D, 'forwarding');
  sec.append(tableBlock(t, ['dst_ip', 'dst_port', 'requests', 'sessions', 'src_ips', 'first_seen', 'last_seen'], { dst_ip: { max: 100 } }, {
    empty: 'No forwarding requests.',
    extra: t ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`forwarding to ${plain(r[0], 60)}:${r[1]}`, (s) => s.items.some((it) => it[1] === K.tcpip && it[2] === r[0] && it[5] === r[1])) }] : [],
  }));
  return sec;
}

/** Weekly sessions of the 10 most common keys of a (week, key, sessions) table, as lines. */
function weeklyLines(t, key, id, yName) {
  const w = t.idx;
  const weeks = [...new Set(t.rows.map((r) => r[w.week]))].sort();
  const byKey = new Map();
  for (const r of t.rows) {
    const k = r[w[key]];
    if (!byKey.has(k)) byKey.set(k, new Map());
    byKey.get(k).set(r[w.week], r[w.sessions]);
  }
  const keys = [...byKey.keys()].sort((a, b) => [...byKey.get(b).values()].reduce((x, y) => x + y, 0) - [...byKey.get(a).values()].reduce((x, y) => x + y, 0));
  const el = h('div', { class: 'chart', id });
  chart(el, (c) => ({
    ...base(c),
    legend: { type: 'scroll', top: 0, textStyle: { color: c.muted }, formatter: (n) => plain(n, 40) },
    grid: { left: 56, right: 24, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: weeks, ...axisStyle(c) },
    yAxis: { type: 'value', min: 0, name: yName, ...axisStyle(c) },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8, borderColor: c.border }],
    tooltip: { ...base(c).tooltip, trigger: 'item', formatter: (p) => tip(plain(p.seriesName, 80), [['week', p.name], ['sessions', fmtInt(p.value[1] ?? p.value)]]) },
    series: keys.map((k) => ({ name: plain(k || '(unknown)', 40), type: 'line', symbolSize: 6,
      data: weeks.map((wn) => [wn, byKey.get(k).get(wn) ?? 0]) })),
  }));
  return h('div', { class: 'chart-box' }, el);
}

function buildIntel() {
  const sec = section('sec-intel', 'Techniques and sources', 'What attackers did as MITRE ATT&CK techniques (rules/attack.toml; attack_layer.json opens in the ATT&CK Navigator), and where they came from by country and autonomous system (with --geoip, from offline databases). Indicators to share are in iocs/ (CSV, STIX 2.1, MISP).');
  const at = tableOf(D, 'attack');
  const aw = tableOf(D, 'attack_weekly');
  sec.append(...sub('ATT&CK techniques', 'Sessions per technique, each session counted once per technique; the chart shows the ten most common per ISO week.'));
  if (aw && aw.rows.length) sec.append(weeklyLines(aw, 'technique', 'chart-attack', 'sessions'));
  sec.append(tableBlock(at, ['technique', 'name', 'tactics', 'sessions', 'sessions_with_commands', 'src_ips', 'first_seen', 'last_seen'], { name: { max: 80 } },
    { label: 'attack', empty: 'No technique seen.', extra: at ? [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`technique ${plain(r[0], 20)}`, (s) => s.attack.includes(r[0])) }] : [] }));
  const bc = tableOf(D, 'sources_by_country');
  sec.append(...sub('Where from', 'Sessions per country and per autonomous system of their source address. An empty country or AS: no database knows the address (private, reserved or not covered).'));
  if (!bc) {
    sec.append(h('p', { class: 'empty', text: 'Run analyze with --geoip FILE (MaxMind GeoLite2/GeoIP2 or DB-IP databases, Country, City or ASN; read offline) to see countries and autonomous systems.' }));
    return sec;
  }
  const cw = tableOf(D, 'sources_by_country_weekly');
  if (cw && cw.rows.length) sec.append(weeklyLines(cw, 'country', 'chart-countries', 'sessions'));
  sec.append(tableBlock(bc, ['country', 'sessions', 'src_ips', 'login_successes', 'commands', 'downloads', 'first_seen', 'last_seen'], {},
    { label: 'sources_by_country', extra: [{ label: '', sortable: false, get: () => null, render: (r) => drillButton(`country ${plain(r[0] || '(unknown)', 20)}`, (s) => (s.country ?? '') === r[0]) }] }));
  sec.append(tableBlock(tableOf(D, 'sources_by_asn'), ['asn', 'as_org', 'sessions', 'src_ips', 'login_successes', 'commands', 'downloads', 'first_seen', 'last_seen'], { as_org: { max: 80 } },
    { label: 'sources_by_asn' }));
  return sec;
}

function buildExplorer() {
  const sec = section('sec-explorer', 'Session explorer', 'Search and filter sessions; open one for its full timeline of events.');
  initExplorer(ctx, sec);
  return sec;
}

function buildAbout() {
  const M = D.meta;
  const sec = section('sec-about', 'About this report');
  sec.append(h('p', { text: `Written by ${M.tool} ${M.version} beside summary.json, sessions.jsonl, hints.json, tables/*.csv and cowrie.sqlite, which hold everything this page shows and more. ` +
    `To stay small on big inputs the page embeds at most ${fmtInt(M.caps.table_rows)} rows per table, ${fmtInt(M.caps.sessions)} sessions for the explorer (plus those other sections link to), ` +
    `${fmtInt(M.caps.items_per_session)} events per session, ${fmtInt(M.caps.string_bytes)} bytes per session string and ${fmtInt(M.caps.cell_bytes)} per table cell (longer ones end in "… [cut: N bytes in all]"), ` +
    `and ${fmtInt(M.caps.session_bytes / 1048576)} MB of session data.` }),
  h('p', { text: 'Every attacker-controlled string (usernames, passwords, commands, URLs, client versions, file names) is shown as text: control characters, bidi overrides and invisible characters appear as highlighted escapes such as \\e, \\x07 or \\u202e; URLs are never links. The page makes no network requests (its Content-Security-Policy allows none) and needs no server.' }),
  h('p', { class: 'cap-note', text: 'Charts: Apache ECharts (Apache License 2.0) with ZRender (BSD-3-Clause), inlined.' }));
  return sec;
}

// ---------------------------------------------------------------- page

const SECTIONS = [
  ['sec-overview', 'Overview', null, buildOverview],
  ['sec-leave', 'Why attackers leave', 'Analysis', buildLeave],
  ['sec-missing', 'What is missing', null, buildMissing],
  ['sec-hints', 'Hints', null, buildHints],
  ['sec-changed', 'What changed', null, buildChanged],
  ['sec-campaigns', 'Campaigns', 'Activity', buildCampaigns],
  ['sec-paths', 'Action paths & commands', null, buildPaths],
  ['sec-outliers', 'Outliers', null, buildOutliers],
  ['sec-weird', 'Weird strings', null, buildWeird],
  ['sec-creds', 'Credentials', null, buildCredentials],
  ['sec-clients', 'Clients & HASSH', null, buildClients],
  ['sec-downloads', 'Downloads & URLs', null, buildDownloads],
  ['sec-writes', 'File writes', null, buildFileWrites],
  ['sec-forwarding', 'Forwarding targets', null, buildForwarding],
  ['sec-intel', 'Techniques & sources', null, buildIntel],
  ['sec-explorer', 'Session explorer', 'Sessions', buildExplorer],
  ['sec-about', 'About', null, buildAbout],
];

function setTheme(theme, save) {
  document.documentElement.dataset.theme = theme;
  const btn = document.getElementById('theme-toggle');
  btn.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
  btn.setAttribute('aria-pressed', String(theme === 'dark'));
  if (save) {
    try { localStorage.setItem('cb-report-theme', theme); } catch { /* file:// storage may be off */ }
  }
}

function initialTheme() {
  const m = /(?:^|[#&])theme=(light|dark)/.exec(location.hash);
  if (m) return m[1];
  try {
    const t = localStorage.getItem('cb-report-theme');
    if (t === 'light' || t === 'dark') return t;
  } catch { /* ignore */ }
  return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function onHash() {
  const m = /^#session=(.*)$/.exec(location.hash);
  if (m) {
    let id = '';
    try { id = decodeURIComponent(m[1]); } catch { return; }
    openSession(id);
  }
}

function main() {
  setTheme(initialTheme(), false);
  const O = D.overview;
  const sub = document.getElementById('subtitle');
  sub.textContent = `${fmtInt(O.sessions)} sessions from ${fmtInt(O.src_ips)} addresses on ${fmtInt(O.sensors)} sensors` +
    (O.first_event !== null ? ` · ${fmtDay(O.first_event)} → ${fmtDay(O.last_event)} UTC` : '');
  const nav = document.getElementById('nav');
  const mainEl = document.getElementById('main');
  clear(mainEl);
  for (const [id, title, group, build] of SECTIONS) {
    if (group) nav.appendChild(h('div', { class: 'group', text: group }));
    nav.appendChild(h('a', { href: '#' + id, text: title }));
    let sec;
    try {
      sec = build();
    } catch (e) {
      sec = section(id, title);
      sec.appendChild(h('p', { class: 'notice', text: `This section could not be drawn: ${e && e.message}` }));
      console.error(`section ${id}:`, e);
    }
    mainEl.appendChild(sec);
  }
  drawPending();
  mainEl.appendChild(h('p', { class: 'foot', text: `cowrie-batch ${D.meta.version} · all times UTC · the data of this page is embedded in the file itself.` }));

  // highlight the section in view
  const links = [...nav.querySelectorAll('a')];
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      links.forEach((a) => a.classList.toggle('active', a.getAttribute('href') === '#' + e.target.id));
    }
  }, { rootMargin: '-45% 0px -50% 0px' });
  document.querySelectorAll('section.sec').forEach((s) => io.observe(s));

  document.getElementById('theme-toggle').addEventListener('click', () => {
    setTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark', true);
    redrawAll();
  });
  document.getElementById('print-btn').addEventListener('click', () => window.print());
  const dlg = document.getElementById('session-dialog');
  document.getElementById('session-close').addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => {
    if (location.hash.startsWith('#session=')) history.replaceState(null, '', location.pathname + location.search);
  });
  dlg.addEventListener('click', (e) => { if (e.target === dlg) dlg.close(); });
  window.addEventListener('hashchange', onHash);
  onHash();
  document.documentElement.dataset.ready = 'true';
  window.cbReport = { charts: chartCount, sessions: sessions.length };
}

main();
