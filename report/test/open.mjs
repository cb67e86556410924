// Opens a report.html in headless Chromium and prints how long it takes until it is drawn:
//   node report/test/open.mjs REPORT [RUNS]   -> one JSON line
// Used by report/bench.sh (make bench).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const file = resolve(process.argv[2] || '');
const runs = Number(process.argv[3] || 3);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(file)) throw new Error(`no report at ${file}`);
if (!existsSync(CHROMIUM)) {
  console.log(JSON.stringify({ skipped: `no Chromium at ${CHROMIUM}` }));
  process.exit(0);
}
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const url = pathToFileURL(file).href;
const times = [];
let info = null;
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 120000 });
  times.push(Date.now() - t0);
  if (!info) {
    info = await page.evaluate(() => ({
      charts: window.cbReport.charts(),
      sessions: window.cbReport.sessions,
      heapMB: performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1048576) : null,
    }));
    info.errors = errors;
  }
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ file, bytes: statSync(file).size, load_ms: times, median_ms: times[Math.floor(times.length / 2)], ...info }));
