// The embedded data (written by core/src/output/report_html.cpp) and its decoding.

export const ITEM = ['login', 'command', 'command_failed', 'download', 'download_failed', 'upload', 'tcpip', 'ttylog', 'file_write'];
export const K = Object.fromEntries(ITEM.map((k, i) => [k, i]));

export function loadData() {
  const el = document.getElementById('cb-data');
  return JSON.parse(el.textContent);
}

/** Sessions as objects; items stay as arrays [ms_after_start, kind, a, b, c, num, flag] with
 *  a, b, c resolved to strings (as in session.hpp's Item, except that c of a file_write is its
 *  persistence kind, not the outfile). */
export function decodeSessions(D) {
  const S = D.strings;
  const f = Object.fromEntries(D.sessions.fields.map((n, i) => [n, i]));
  const list = D.sessions.rows.map((r, order) => {
    const s = {
      order,
      sensor: S[r[f.sensor]],
      session: S[r[f.session]],
      src_ip: S[r[f.src_ip]],
      src_port: r[f.src_port],
      dst_ip: S[r[f.dst_ip]],
      dst_port: r[f.dst_port],
      protocol: S[r[f.protocol]],
      start: r[f.start],
      end: r[f.end],
      duration_s: r[f.duration_s],
      client_version: S[r[f.client_version]],
      hassh: S[r[f.hassh]],
      end_kind: S[r[f.end_kind]],
      channel: S[r[f.channel]],
      campaign: S[r[f.campaign]],
      login_attempts: r[f.login_attempts],
      login_successes: r[f.login_successes],
      commands: r[f.commands],
      failed_commands: r[f.failed_commands],
      last_template: S[r[f.last_template]],
      last_step: S[r[f.last_step]],
      left: r[f.left] === 1,
      items_total: r[f.items_total],
      referenced: r[f.referenced] === 1,
      attack: f.attack === undefined || !S[r[f.attack]] ? [] : S[r[f.attack]].split(','),
      country: f.country === undefined ? '' : S[r[f.country]],
      items: r[f.items].map((it) => [it[0], it[1], S[it[2]], S[it[3]], S[it[4]], it[5], it[6]]),
    };
    s.id = `${s.sensor}/${s.session}`;
    let last = '';
    for (const it of s.items) if (it[1] === K.command) last = it[2];
    s.last_command = last;
    return s;
  });
  // Most relevant first: sessions with commands, then with logins, then the rest; most recent first.
  const tier = (s) => (s.commands ? 0 : s.login_attempts ? 1 : 2);
  list.sort((a, b) => tier(a) - tier(b) || b.start - a.start || b.order - a.order);
  return list;
}

/** Lower-case text of everything searchable in a session (built once, on first search). */
export function haystack(s) {
  if (s._hay) return s._hay;
  const parts = [s.id, s.src_ip, s.dst_ip, s.client_version, s.hassh, s.campaign, s.end_kind, s.channel, s.protocol];
  for (const it of s.items) parts.push(it[2], it[3], it[4]);
  s._hay = parts.join('\n').toLowerCase();
  return s._hay;
}

/** Rows of a table as arrays, and a column accessor by name. */
export function tableOf(D, name) {
  const t = D.tables[name];
  if (!t) return null;
  t.idx = Object.fromEntries(t.columns.map((c, i) => [c.name, i]));
  t.col = (row, n) => row[t.idx[n]];
  return t;
}
