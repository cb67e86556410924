// TTY replay: the session's recordings as plain text (report_html.cpp removed every escape
// sequence), appended to a <pre> through text nodes only. CR returns to the start of the
// line (later text overwrites it) and BS moves back one character; nothing else is interpreted.
import { h, clear, vis, fmtInt, fmtNum } from './dom.js';

const SPEEDS = [['1x', 1], ['4x', 4], ['instant', 0]];
const MAX_WAIT = 2;  // seconds: longer pauses in the recording are shortened to this

/** A tiny line model: the finished text, plus the current line and the cursor in it. */
class Screen {
  constructor(pre) {
    this.pre = pre;
    this.done = document.createTextNode('');
    this.cur = document.createTextNode('');
    pre.append(this.done, this.cur);
    this.line = [];
    this.col = 0;
    this.doneText = '';
  }
  reset() { this.line = []; this.col = 0; this.doneText = ''; this.render(); }
  write(text) {
    for (const ch of text) {
      if (ch === '\n') { this.doneText += this.line.join('').replace(/\s+$/, '') + '\n'; this.line = []; this.col = 0; }
      else if (ch === '\r') this.col = 0;
      else if (ch === '\b') { if (this.col > 0) this.col--; }
      else { this.line[this.col++] = ch === '\t' ? ' ' : ch; }
    }
    // Keep the page light: only the last 2000 lines stay.
    if (this.doneText.length > 400000) {
      const lines = this.doneText.split('\n');
      this.doneText = lines.slice(-2000).join('\n');
    }
  }
  render() {
    this.done.data = this.doneText;
    const line = [];
    for (let i = 0; i < this.line.length; i++) line.push(this.line[i] ?? ' ');
    this.cur.data = line.join('');
    this.pre.scrollTop = this.pre.scrollHeight;
  }
}

/** One recording's player. rec: { name, events: [[t, text]…], bytes, cut, status, duration_s } */
function playerOf(rec, caps) {
  const ev = rec.events || [];
  const pre = h('pre', { class: 'tty-screen', tabindex: '0', 'aria-label': 'Replay of what the attacker saw' });
  const screen = new Screen(pre);
  const bar = h('progress', { class: 'tty-progress', max: '1000', value: '0' });
  const clock = h('span', { class: 'tty-clock cap-note' });
  const end = ev.length ? ev[ev.length - 1][0] : 0;
  let i = 0;          // next event
  let t = 0;          // playback time (recording seconds, pauses shortened)
  let speed = 1;
  let timer = null;
  let last = 0;
  const playBtn = h('button', { type: 'button', class: 'btn tty-play', text: 'Play' });
  const show = () => {
    screen.render();
    bar.value = String(ev.length ? Math.round((1000 * i) / ev.length) : 1000);
    clock.textContent = ` ${fmtNum(i < ev.length ? ev[Math.max(0, i - 1)]?.[0] ?? 0 : end, 1)} s of ${fmtNum(end, 1)} s · ${fmtInt(i)}/${fmtInt(ev.length)} writes`;
  };
  const stop = () => { if (timer) clearInterval(timer); timer = null; playBtn.textContent = i >= ev.length ? 'Replay' : 'Play'; };
  // Shortened time of event k: long pauses count as MAX_WAIT.
  const times = [];
  { let prev = 0, acc = 0; for (const e of ev) { acc += Math.min(MAX_WAIT, Math.max(0, e[0] - prev)); prev = e[0]; times.push(acc); } }
  const step = () => {
    const now = performance.now();
    t += ((now - last) / 1000) * speed;
    last = now;
    while (i < ev.length && (speed === 0 || times[i] <= t)) screen.write(ev[i++][1]);
    show();
    if (i >= ev.length) stop();
  };
  const play = () => {
    if (i >= ev.length) { i = 0; t = 0; screen.reset(); }
    last = performance.now();
    if (speed === 0) { step(); return; }
    if (!timer) timer = setInterval(step, 40);
    playBtn.textContent = 'Pause';
  };
  playBtn.addEventListener('click', () => (timer ? stop() : play()));
  const seg = h('div', { class: 'seg', role: 'group', 'aria-label': 'Speed' });
  for (const [label, v] of SPEEDS) {
    seg.append(h('button', { type: 'button', class: 'tty-speed', text: label, 'data-speed': label, 'aria-pressed': String(v === speed), onclick: (e) => {
      speed = v;
      [...seg.children].forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
      if (v === 0) { stop(); play(); } else if (timer) last = performance.now();
    } }));
  }
  show();
  clock.textContent = ` ${fmtNum(end, 1)} s, ${fmtInt(ev.length)} writes`;
  const notes = [];
  if (rec.cut) notes.push(`Cut after the first ${fmtInt(caps.cap_recording_bytes / 1024)} KiB of output.`);
  if (rec.status && rec.status !== 'ok') notes.push(`Recording status: ${rec.status}.`);
  if (!ev.length) notes.push('The recording holds no output.');
  return h('div', { class: 'tty-rec' },
    h('div', { class: 'cap-note' }, 'Recording ', vis(rec.name || '?', 80), ` · ${fmtInt(rec.bytes || 0)} bytes of text`),
    h('div', { class: 'toolbar tty-controls no-print' }, playBtn, seg, bar, clock),
    pre,
    notes.length ? h('p', { class: 'cap-note', text: notes.join(' ') }) : null);
}

/** The TTY section of a session dialog. */
export function ttyBlock(D, s, ttyItems) {
  const T = D.tty || { sessions: {} };
  const recs = Object.prototype.hasOwnProperty.call(T.sessions, s.id) ? T.sessions[s.id] : null;
  const box = h('div', { class: 'tty-player', id: 'tty-player', 'data-session': s.id });
  if (!ttyItems.length && !recs) {
    box.append(h('p', { class: 'empty', text: 'No TTY recording was logged for this session.' }));
    return box;
  }
  const capNote = `The replay shows OUTPUT and INTERACT records as plain text (escape sequences, colours and cursor movements removed; carriage return and backspace applied); pauses longer than ${MAX_WAIT} s are shortened. ` +
    `The report embeds at most ${fmtInt((T.cap_recording_bytes || 0) / 1024)} KiB of text per recording and ${fmtInt((T.cap_bytes || 0) / 1048576)} MB in all; replay the full recording in a terminal with cowrie-batch replay.`;
  if (!recs) {
    box.append(h('p', { class: 'notice' }, `TTY recording${ttyItems.length > 1 ? 's' : ''} `,
      ttyItems.map((it, i) => [i ? ', ' : '', vis(it[2], 160)]),
      ' logged, but not found among the files given to analyze (pass the tty directory to replay it).'));
    return box;
  }
  for (const rec of recs) {
    if (rec.omitted) box.append(h('p', { class: 'notice' }, 'Recording ', vis(rec.name || '?', 80), ' is left out: the report\'s recording budget was used up by sessions listed before it.'));
    else box.append(playerOf(rec, T));
  }
  box.append(h('p', { class: 'cap-note', text: capNote }));
  return box;
}
