// The overview's timeline: sessions and logins per UTC week, day or hour, stacked by sensor
// (data: D.timeline, written by core/src/output/report/timeline.cpp).
import { h, plain, sensorName, fmtInt, fmtTime, fmtDay } from './dom.js';
import { chart, base, axisStyle, tip } from './charts.js';
import { sub, segmented } from './blocks.js';

const DAY = 86400000;
const METRIC_NAMES = { 2: 'sessions', 3: 'login attempts', 4: 'successful logins' };

/** Weeks (Monday 00:00 UTC) summed from the day points [ms, sensor, sessions, attempts, successes]. */
function weeklyPoints(days) {
  const weekOf = (ms) => ms - ((Math.floor(ms / DAY) + 3) % 7) * DAY;
  const weekly = new Map();
  for (const p of days || []) {
    const k = `${weekOf(p[0])}/${p[1]}`;
    const e = weekly.get(k) || [weekOf(p[0]), p[1], 0, 0, 0];
    for (let i = 2; i < 5; i++) e[i] += p[i];
    weekly.set(k, e);
  }
  return [...weekly.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Bucket starts in order, with a {gap: ms} slot in place of every empty span longer than limit. */
function timelineSlots(xs, limit) {
  const slots = [];
  for (let k = 0; k < xs.length; k++) {
    if (k > 0 && xs[k] - xs[k - 1] > limit) slots.push({ gap: xs[k] - xs[k - 1] });
    slots.push({ t: xs[k] });
  }
  return slots;
}

/** The longest empty span the timeline shows to scale: 8 weeks, 30 days or 2 days of buckets. */
function gapLimit(bucket) {
  return bucket === 'week' ? 56 * DAY : bucket === 'day' ? 30 * DAY : 2 * DAY;
}

/** "1 y 3 mo", "5 mo", "12 d": the length of a span, roughly. */
function fmtSpan(ms) {
  const d = Math.round(ms / 86400000);
  const y = Math.floor(d / 365), mo = Math.floor((d % 365) / 30);
  if (y) return mo ? `${y} y ${mo} mo` : `${y} y`;
  return mo ? `${mo} mo` : `${d} d`;
}

/** The x axis: time, or one category per bucket and per cut-out empty span. */
function xAxisOf(c, slots, cut, bucket) {
  if (!cut) return { type: 'time', ...axisStyle(c), splitLine: { show: false } };
  return { type: 'category', ...axisStyle(c), splitLine: { show: false },
    data: slots.map((s) => (s.gap ? `⋯ ${fmtSpan(s.gap)} without data ⋯` : bucket === 'hour' ? fmtTime(s.t).slice(0, 13) : fmtDay(s.t))) };
}

function tooltipOf(c, view, when) {
  return {
    ...base(c).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' },
    formatter: (ps) => {
      const list = (Array.isArray(ps) ? ps : [ps]).filter((p) => p.value && p.value[1]);
      if (!list.length) return null;
      const t = when(list[0].value[0]);
      const total = list.reduce((a, p) => a + p.value[1], 0);
      const label = view.bucket === 'day' ? fmtDay(t) : view.bucket === 'week' ? `week of ${fmtDay(t)}` : fmtTime(t).slice(0, 16);
      return tip(`${label} UTC: ${fmtInt(total)} ${METRIC_NAMES[view.metric]}`,
        list.sort((a, b) => b.value[1] - a.value[1]).slice(0, 12).map((p) => [p.seriesName, fmtInt(p.value[1])]));
    },
  };
}

/** The chart option for the current view {bucket, metric, gaps}. */
function timelineOption(c, T, view, el) {
  const pts = T[view.bucket] || [];
  // ECharts stacks bars by data index: every sensor gets a value (0 if none) at every bucket.
  const xs = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const cols = T.sensors.map(() => new Array(xs.length).fill(0));
  for (const p of pts) cols[p[1]][at.get(p[0])] = p[view.metric];
  const slots = timelineSlots(xs, view.gaps === 'cut' ? gapLimit(view.bucket) : Infinity);
  const cut = slots.length > xs.length;
  el.dataset.cutSpans = String(slots.length - xs.length);  // for the tests
  const slotOf = new Map(slots.flatMap((s, k) => (s.gap ? [] : [[s.t, k]])));
  const series = T.sensors.map((name, i) => ({
    name: plain(sensorName(name), 40), type: 'bar', stack: 'all', barMaxWidth: 28, large: xs.length > 3000,
    emphasis: { focus: 'series' },
    data: xs.map((x, k) => [cut ? slotOf.get(x) : x, cols[i][k]]),
  }));
  return {
    ...base(c),
    legend: { type: 'scroll', top: 0, textStyle: { color: c.muted } },
    grid: { left: 56, right: 24, top: 44, bottom: 64 },
    xAxis: xAxisOf(c, slots, cut, view.bucket),
    yAxis: { type: 'value', ...axisStyle(c) },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8, borderColor: c.border, textStyle: { color: c.muted } }],
    tooltip: tooltipOf(c, view, (v) => (cut ? slots[v].t : v)),
    series,
  };
}

/** The timeline's heading, view switches and chart. */
export function timelineBlock(T, O) {
  T.week = weeklyPoints(T.day);
  const span = O.first_event !== null ? O.last_event - O.first_event : 0;
  // Long spans start with weeks. Long empty spans (logs from 2017 and from 2024) are cut out
  // of the axis by default: each becomes one marked slot, so activity is not squeezed into slivers.
  const view = { bucket: span > 120 * DAY ? 'week' : 'day', metric: 2, gaps: 'cut' };
  const el = h('div', { class: 'chart', id: 'chart-timeline', role: 'img', 'aria-label': 'Sessions and logins over time per sensor' });
  const build = (c) => timelineOption(c, T, view, el);
  const ch = chart(el, build);
  const seg = (items, key) => segmented(items, () => view[key], (v) => { view[key] = v; ch.update(build); });
  const hourNote = T.hour ? null : h('span', { class: 'cap-note', text: `Hourly view left out: ${fmtInt(T.hour_points)} (hour, sensor) points, more than ${fmtInt(T.max_hour_points)}.` });
  return [...sub('Sessions and logins over time', 'Sessions count at their start, logins at their own time; one bar per UTC week (from Monday), day or hour, stacked by sensor (the largest sensors by name, the rest together). Zoom with the slider or the mouse wheel.'),
    h('div', { class: 'toolbar no-print' },
      seg([[2, 'Sessions'], [3, 'Login attempts'], [4, 'Successful logins']], 'metric'),
      seg([['week', 'Per week'], ['day', 'Per day'], ['hour', 'Per hour', !T.hour]], 'bucket'),
      seg([['cut', 'Empty spans cut'], ['full', 'True time scale']], 'gaps'), hourNote),
    h('div', { class: 'chart-box' }, el)];
}
