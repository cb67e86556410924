// Charts: Apache ECharts, tree-shaken to the chart types the report draws and bundled into the
// page at build time (see docs/ARCHITECTURE.md, "Why ECharts"). Canvas renderer; tooltips are
// DOM nodes built with text APIs (never HTML strings).
import * as echarts from 'echarts/core';
import { BarChart, GraphChart, LineChart, ScatterChart, TreeChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { h } from './dom.js';

echarts.use([BarChart, GraphChart, LineChart, ScatterChart, TreeChart, DataZoomComponent, GridComponent,
  LegendComponent, TooltipComponent, CanvasRenderer]);

const registry = [];  // { el, build(colors) -> option, chart, onClick }

export function themeColors() {
  const cs = getComputedStyle(document.documentElement);
  const v = (n) => cs.getPropertyValue(n).trim();
  const dark = document.documentElement.dataset.theme === 'dark';
  return {
    dark,
    text: v('--text'),
    muted: v('--muted'),
    border: v('--border'),
    surface: v('--surface'),
    accent: v('--accent'),
    high: v('--high'),
    ok: v('--ok'),
    palette: dark
      ? ['#79a8ff', '#ffb454', '#5fd4a0', '#ff7b9c', '#c9a4ff', '#5fcfe0', '#e6d35c', '#ff9166', '#9fb4cc', '#b0e07a', '#8a93a3']
      : ['#2459c4', '#e08a00', '#1f9d6b', '#d6336c', '#7b4fd0', '#1a9bb0', '#a68a00', '#d9582b', '#5b7594', '#5e9c2a', '#8a93a3'],
  };
}

/** Common option parts: text colours, axis styles, a DOM tooltip. */
export function base(c) {
  return {
    backgroundColor: 'transparent',
    color: c.palette,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily, color: c.text },
    animationDuration: 300,
    tooltip: {
      confine: true,
      renderMode: 'html',
      backgroundColor: c.surface,
      borderColor: c.border,
      textStyle: { color: c.text },
      extraCssText: 'box-shadow: 0 4px 14px rgba(0,0,0,.18);',
    },
  };
}

export function axisStyle(c) {
  return {
    axisLine: { lineStyle: { color: c.border } },
    axisTick: { lineStyle: { color: c.border } },
    axisLabel: { color: c.muted, hideOverlap: true },
    splitLine: { lineStyle: { color: c.border, opacity: 0.6 } },
    nameTextStyle: { color: c.muted },
  };
}

/** A tooltip body: a title and rows of [label, value] (all text). */
export function tip(title, rows) {
  return h('div', { class: 'tip' },
    title ? h('div', { class: 't', text: title }) : null,
    rows.filter(Boolean).map(([k, v]) => h('div', { class: 'r' }, h('span', { text: k }), h('span', { text: v }))));
}

/** Draws a chart into el and redraws it when the theme changes. build(colors) returns the option. */
export function chart(el, build, onClick) {
  const entry = { el, build, onClick, chart: null };
  registry.push(entry);
  // Drawn once the element is in the page (it needs its size): now, or by drawPending().
  if (el.isConnected) draw(entry);
  return {
    update(newBuild) {
      entry.build = newBuild;
      if (entry.chart) entry.chart.setOption(newBuild(themeColors()), { notMerge: true });
    },
    get instance() { return entry.chart; },
  };
}

/** Draws the charts created before their element was attached. */
export function drawPending() {
  for (const e of registry) if (!e.chart && e.el.isConnected) draw(e);
}

function draw(entry) {
  if (entry.chart) entry.chart.dispose();
  const c = themeColors();
  entry.chart = echarts.init(entry.el, c.dark ? 'dark' : null, { renderer: 'canvas' });
  entry.chart.setOption(entry.build(c));
  if (entry.onClick) entry.chart.on('click', entry.onClick);
}

export function redrawAll() {
  for (const e of registry) draw(e);
}

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => registry.forEach((e) => e.chart && e.chart.resize()), 120);
});
// Paper is light: a dark page prints its charts in the light theme, then switches back.
let themeBeforePrint = null;
window.addEventListener('beforeprint', () => {
  themeBeforePrint = document.documentElement.dataset.theme;
  if (themeBeforePrint === 'dark') {
    document.documentElement.dataset.theme = 'light';
    redrawAll();
  } else registry.forEach((e) => e.chart && e.chart.resize());
});
window.addEventListener('afterprint', () => {
  if (themeBeforePrint === 'dark') {
    document.documentElement.dataset.theme = 'dark';
    redrawAll();
  }
  themeBeforePrint = null;
});

/** For tests: how many charts were drawn, and whether each has a canvas. */
export function chartCount() {
  return registry.filter((e) => e.chart && e.el.querySelector('canvas')).length;
}
