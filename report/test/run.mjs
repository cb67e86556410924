// Tests of report.html: static checks (CSP hashes, the data block, determinism) and a headless
// Chromium run (playwright-core driving the Debian package chromium; never a downloaded browser).
//
//   node report/test/run.mjs            (make report-test)
//
// Environment: CB_BIN (build/cowrie-batch), CB_SAMPLES (../shared/samples), CHROMIUM
// (/usr/bin/chromium), CB_REPORT_TEST_OUT (build/report-test: reports, screenshots, log).
// Without chromium the browser tests are skipped with a message, unless CB_REPORT_TEST_REQUIRE=1.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hostileLog, hostileTty, PAYLOADS, TTY_SESSION } from './hostile.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const BIN = resolve(process.env.CB_BIN || join(repo, 'build', 'cowrie-batch'));
const SAMPLES = resolve(process.env.CB_SAMPLES || join(repo, '..', 'shared', 'samples'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = resolve(process.env.CB_REPORT_TEST_OUT || join(repo, 'build', 'report-test'));
const SHOTS = join(OUT, 'screenshots');

// A session of the real samples (wild/ghostwalkr__Honeypot, 2020-01-21): one address, one
// command nobody else ran; it is also the top outlier, so the report always embeds it.
const KNOWN = { id: 'cowrie/aa80bf3fb7ad', src_ip: '103.64.12.109', command: 'ls -la /etc/daemon.cfg' };

let failures = 0;
let passed = 0;
const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    results.push(`ok   ${name} (${Date.now() - t0} ms)`);
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    results.push(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    console.log(`FAIL ${name}\n     ${String(e && e.message ? e.message : e).split('\n').join('\n     ')}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function analyze(input, out, extra = []) {
  rmSync(out, { recursive: true, force: true });
  try {
    execFileSync(BIN, ['analyze', ...input, '-o', out, '-q', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (e.status !== 1) throw new Error(`cowrie-batch analyze failed (${e.status}): ${e.stderr}`);
  }
  const file = join(out, 'report.html');
  assert(existsSync(file), `${file} was not written`);
  return file;
}

function parts(html) {
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  const data = /<script type="application\/json" id="cb-data">([\s\S]*?)<\/script>/.exec(html);
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  return { csp: csp && csp[1], data: data && data[1], scripts, styles };
}
const sha = (s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

// ---------------------------------------------------------------- static checks

mkdirSync(SHOTS, { recursive: true });
assert(existsSync(BIN), `cowrie-batch not found at ${BIN} (build it first, or set CB_BIN)`);
const haveSamples = existsSync(join(SAMPLES, 'wild'));
const exampleReport = analyze([join(repo, 'examples', 'logs')], join(OUT, 'examples'));
const sampleReport = haveSamples ? analyze([SAMPLES], join(OUT, 'samples')) : null;
const hostileDir = join(OUT, 'hostile-in');
rmSync(hostileDir, { recursive: true, force: true });
mkdirSync(hostileDir, { recursive: true });
const hostile = hostileLog();
writeFileSync(join(hostileDir, 'cowrie.json'), hostile.text);
const hostileRec = hostileTty(createHash);
writeFileSync(join(hostileDir, 'cowrie-tty.json'), hostileRec.text);
mkdirSync(join(hostileDir, 'tty'), { recursive: true });
writeFileSync(join(hostileDir, 'tty', hostileRec.name), hostileRec.bytes);
const hostileReport = analyze([hostileDir], join(OUT, 'hostile'));

await test('static: CSP is strict and its hashes match the inline script and style', () => {
  for (const file of [exampleReport, hostileReport]) {
    const html = readFileSync(file, 'utf8');
    const p = parts(html);
    assert(p.csp, 'no CSP meta tag');
    assert(p.csp.includes("default-src 'none'"), `CSP lacks default-src 'none': ${p.csp}`);
    assert(!/unsafe-inline|unsafe-eval|https?:|\*/.test(p.csp), `CSP allows too much: ${p.csp}`);
    assert(p.scripts.length === 1 && p.styles.length === 1, `expected one inline script and one style, got ${p.scripts.length}/${p.styles.length}`);
    assert(p.csp.includes(`script-src ${sha(p.scripts[0])}`), 'script hash does not match the inline script');
    assert(p.csp.includes(`style-src ${sha(p.styles[0])}`), 'style hash does not match the inline style');
    assert(!/\s(src|href)=["']?(https?:)?\/\//i.test(html.replace(p.data, '')), 'the page references a remote resource');
  }
});

await test('static: the data block is JSON with no "<", and every payload is in it, escaped', () => {
  const html = readFileSync(hostileReport, 'utf8');
  const p = parts(html);
  assert(p.data && !p.data.includes('<') && !p.data.includes('>') && !p.data.includes('&'), 'the data block holds a raw <, > or &');
  const D = JSON.parse(p.data);
  const strings = new Set(D.strings);
  for (const v of PAYLOADS) {
    if (v.length > 2000) continue;  // cut to the report's string cap
    assert(strings.has(v), `payload not embedded as-is: ${JSON.stringify(v).slice(0, 80)}`);
  }
  assert(!html.includes('<script>window.__cb_pwned') && !html.includes('<img src=x'), 'a payload appears unescaped in the HTML');
});

await test('static: same input, same bytes (1 thread and 2 threads)', () => {
  const a = readFileSync(analyze([join(repo, 'examples', 'logs')], join(OUT, 'det-1'), ['-t', '1']));
  const b = readFileSync(analyze([join(repo, 'examples', 'logs')], join(OUT, 'det-2'), ['-t', '2']));
  assert(Buffer.compare(a, b) === 0, 'report.html differs between runs');
  if (sampleReport) {
    const c = readFileSync(analyze([SAMPLES], join(OUT, 'det-3'), ['-t', '1']));
    assert(Buffer.compare(c, readFileSync(sampleReport)) === 0, 'the samples report differs between 1 thread and all threads');
  }
  for (const d of ['det-1', 'det-2', 'det-3']) rmSync(join(OUT, d), { recursive: true, force: true });
});

await test('static: a capped table names cowrie.sqlite once in its caption', async () => {
  const { capNote } = await import('../src/table.js');
  const t = { rows: [1], total: 5, name: 'tcpip' };
  for (const note of [capNote(t, 'sessions.jsonl (tcpip) and cowrie.sqlite (table tcpip)'), capNote(t), capNote({ ...t, note: 'x' })])
    assert(note.split('cowrie.sqlite').length === 2, `caption repeats or lacks cowrie.sqlite: ${note}`);
});

// A log given without its TTY recordings, in a folder with a long path, with one rejected line.
const longDir = join(OUT, 'no-tty-in', 'x'.repeat(60), 'y'.repeat(60), 'sensor-logs');
rmSync(join(OUT, 'no-tty-in'), { recursive: true, force: true });
mkdirSync(longDir, { recursive: true });
const noTtyLog = readFileSync(join(repo, 'examples', 'logs', 'cowrie.json'), 'utf8') + '{"eventid": broken\n';
writeFileSync(join(longDir, 'cowrie.json'), noTtyLog);
const badLine = noTtyLog.split('\n').length - 1;
const noTtyReport = analyze([join(longDir, 'cowrie.json')], join(OUT, 'no-tty'));

// ---------------------------------------------------------------- browser

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('report tests: playwright-core missing: run `make deps` (npm ci in report/)');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  const msg = `report browser tests SKIPPED: no Chromium at ${CHROMIUM}. \`make deps\` installs the Debian package chromium; set CHROMIUM to use another binary.`;
  console.log(msg);
  writeFileSync(join(OUT, 'results.txt'), results.concat([msg]).join('\n') + '\n');
  process.exit(process.env.CB_REPORT_TEST_REQUIRE === '1' || failures ? 1 : 0);
}

// playwright gives every launch a fresh, temporary --user-data-dir.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions'],
});

/** Opens a report and records console errors, page errors, dialogs and every request. */
async function open(file, { theme, viewport = { width: 1400, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, colorScheme: theme === 'dark' ? 'dark' : 'light' });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const log = { errors: [], requests: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('dialog', (d) => { log.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('request', (r) => { if (r.url() !== url && !r.url().startsWith(url + '#')) log.requests.push(r.url()); });
  // Anything that is not the report itself is refused and recorded (it must not happen).
  await context.route((u) => u.href !== url && !u.href.startsWith(url + '#'), (route) => { log.requests.push(route.request().url()); route.abort(); });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 60000 });
  log.loadMs = Date.now() - t0;
  return { page, context, log };
}

async function pixelsDrawn(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(`${sel} canvas`);
    if (!c) return 0;
    const g = c.getContext('2d');
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  }, selector);
}

async function searchExplorer(page, field, value) {
  await page.click('#x-reset').catch(() => {});
  await page.evaluate(() => document.getElementById('sec-explorer').scrollIntoView());
  await page.fill(field, value);
  await page.waitForTimeout(400);  // the filter is debounced
  return page.$$eval('#x-results a.sess-link', (as) => as.map((a) => decodeURIComponent(a.getAttribute('href').replace('#session=', ''))));
}

async function shot(page, name, selector) {
  const path = join(SHOTS, `${name}.png`);
  if (selector) {
    await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'start' }), selector);
    await page.waitForTimeout(300);
  }
  await page.screenshot({ path });
  return path;
}

const realReport = sampleReport || exampleReport;
const known = sampleReport ? KNOWN : (() => {
  // examples/logs: a session whose address and one of whose commands are unique
  const lines = readFileSync(join(OUT, 'examples', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const cmdCount = new Map();
  for (const s of lines) for (const c of s.commands) cmdCount.set(c.input, (cmdCount.get(c.input) || 0) + 1);
  const s = lines.find((x) => x.commands.some((c) => cmdCount.get(c.input) === 1 && c.input.length > 6));
  return { id: `${s.sensor}/${s.session}`, src_ip: s.src_ip, command: s.commands.find((c) => cmdCount.get(c.input) === 1 && c.input.length > 6).input };
})();

let real = null;
await test(`browser: the report of ${sampleReport ? 'the samples' : 'examples/logs'} opens with no console errors and no network requests`, async () => {
  real = await open(realReport);
  await real.page.waitForTimeout(800);
  assert(real.log.errors.length === 0, `console errors:\n${real.log.errors.join('\n')}`);
  assert(real.log.requests.length === 0, `network requests:\n${real.log.requests.join('\n')}`);
  assert(real.log.dialogs.length === 0, `dialogs: ${real.log.dialogs.join(', ')}`);
  console.log(`     loaded in ${real.log.loadMs} ms`);
});

await test('browser: charts are drawn', async () => {
  const n = await real.page.evaluate(() => window.cbReport.charts());
  assert(n >= 4, `only ${n} charts drawn`);
  for (const sel of ['#chart-timeline', '#chart-endkinds']) {
    const px = await pixelsDrawn(real.page, sel);
    assert(px > 2000, `${sel}: only ${px} pixels drawn`);
  }
  assert(await real.page.$('#fork-tree li') || !sampleReport, 'the forks tree is missing');
  await shot(real.page, 'light-overview');
  await shot(real.page, 'light-leave', '#sec-leave');
  await shot(real.page, 'light-paths', '#sec-paths');
});

await test('browser: the timeline cuts long empty spans, and shows the true scale on request', async () => {
  const cutSpans = () => real.page.evaluate(() => Number(document.getElementById('chart-timeline').dataset.cutSpans));
  if (sampleReport) assert(await cutSpans() >= 1, 'the 2017-2026 samples timeline cuts no empty span');
  await real.page.click('#sec-overview button:text("True time scale")');
  await real.page.waitForTimeout(300);
  assert(await cutSpans() === 0, 'the true time scale still cuts spans');
  assert(await pixelsDrawn(real.page, '#chart-timeline') > 2000, 'the true-scale timeline is empty');
  await real.page.click('#sec-overview button:text("Empty spans cut")');
  await real.page.waitForTimeout(300);
  if (sampleReport) assert(await cutSpans() >= 1, 'cutting spans again did not work');
  assert(await pixelsDrawn(real.page, '#chart-timeline') > 2000, 'the cut timeline is empty');
  await shot(real.page, 'timeline-cut', '#chart-timeline');
});

await test(`browser: the explorer finds ${known.id} by address and by command`, async () => {
  const byIp = await searchExplorer(real.page, '#x-ip', known.src_ip);
  assert(byIp.includes(known.id), `address ${known.src_ip}: got ${byIp.slice(0, 5).join(', ') || 'nothing'}`);
  const byCmd = await searchExplorer(real.page, '#x-cmd', known.command);
  assert(byCmd.includes(known.id), `command ${known.command}: got ${byCmd.slice(0, 5).join(', ') || 'nothing'}`);
  const byAny = await searchExplorer(real.page, '#x-q', known.command);
  assert(byAny.includes(known.id), 'the free-text search does not find it');
  await shot(real.page, 'light-explorer', '#sec-explorer');
  // open it: the timeline shows the command
  await real.page.click(`#x-results a.sess-link[href="#session=${encodeURIComponent(known.id)}"]`);
  await real.page.waitForSelector('#session-dialog[open]');
  const text = await real.page.textContent('#session-body');
  assert(text.includes(known.command), 'the session dialog does not show the command');
  await real.page.screenshot({ path: join(SHOTS, 'light-session.png') });
  await real.page.click('#session-close');
});

await test('browser: drill-downs and sorting work', async () => {
  const page = real.page;
  await page.click('#x-reset');
  const first = await page.$('#sec-hints .hint .links button');
  if (first) {
    await first.click();
    await page.waitForTimeout(300);
    const chip = await page.textContent('#sec-explorer .chips');
    assert(chip.includes('Drill-down'), 'a hint link did not filter the explorer');
    const n = await page.$$eval('#x-results a.sess-link', (a) => a.length);
    assert(n > 0, 'the hint drill-down found no session');
  }
  // sort the credentials table by password, ascending
  const btn = await page.$('#sec-creds thead th:nth-child(2) button.sort');
  await btn.click();
  const sorted = await page.$eval('#sec-creds thead th:nth-child(2)', (th) => th.getAttribute('aria-sort'));
  assert(sorted === 'ascending', `aria-sort is ${sorted}`);
});

await test('browser: dark theme draws without errors', async () => {
  const page = real.page;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click('#theme-toggle');
  await page.waitForTimeout(600);
  assert(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'the theme did not switch');
  assert(await page.evaluate(() => window.cbReport.charts()) >= 4, 'charts lost after the theme switch');
  await shot(page, 'dark-overview');
  await shot(page, 'dark-leave', '#sec-leave');
  await shot(page, 'dark-hints', '#sec-hints');
  await shot(page, 'dark-explorer', '#sec-explorer');
  assert(real.log.errors.length === 0, `console errors:\n${real.log.errors.join('\n')}`);
  assert(real.log.requests.length === 0, `network requests:\n${real.log.requests.join('\n')}`);
  await real.context.close();
});

await test('browser: the session player replays a recording of examples/logs (root@svr04)', async () => {
  const D = JSON.parse(parts(readFileSync(exampleReport, 'utf8')).data);
  const ids = Object.keys(D.tty.sessions).filter((id) => D.tty.sessions[id].some((r) => (r.events || []).some((e) => e[1].includes('root@svr04'))));
  assert(ids.length > 0, 'no embedded recording of examples/logs shows root@svr04');
  const { page, log, context } = await open(exampleReport);
  await page.evaluate(() => document.getElementById('sec-leave').scrollIntoView());
  assert(await page.$('#tbl-last-output table') && await page.$('#tbl-tty-tells table'), 'the "What they saw before leaving" tables are missing');
  const tells = await page.textContent('#tbl-tty-tells');
  assert(tells.includes('hostname-svr04'), 'tty_tells does not list hostname-svr04');
  await searchExplorer(page, '#x-q', ids[0].split('/')[1]);
  await page.click(`#x-results a.sess-link[href="#session=${encodeURIComponent(ids[0])}"]`);
  await page.waitForSelector('#session-dialog[open] #tty-player .tty-play');
  await page.click('#tty-player .tty-speed[data-speed="4x"]');
  await page.click('#tty-player .tty-play');
  await page.waitForFunction(() => document.querySelector('#tty-player pre.tty-screen').textContent.includes('root@svr04'), null, { timeout: 20000 });
  await page.click('#tty-player button[data-speed="instant"]');
  await page.waitForFunction(() => Number(document.querySelector('#tty-player progress').value) === 1000);
  await page.screenshot({ path: join(SHOTS, 'tty-player.png') });
  assert(log.errors.length === 0, `console errors:\n${log.errors.join('\n')}`);
  assert(log.requests.length === 0, `requests: ${log.requests.join(', ')}`);
  await context.close();
});

await test('browser: without recordings the report says none were given; a long reject path keeps its :line', async () => {
  const { page, log, context } = await open(noTtyReport);
  await page.evaluate(() => document.getElementById('sec-leave').scrollIntoView());
  await page.waitForSelector('#tty-none', { timeout: 10000 });
  const none = await page.textContent('#tty-none');
  assert(none && none.includes('No TTY recording'), `no "no recordings" note: ${none}`);
  assert(!(await page.textContent('#sec-leave')).includes('No session with a recording left'), 'says no session left, though no recording was given');
  const cells = await page.$$eval('td', (tds) => tds.map((td) => td.textContent));
  const where = cells.find((c) => c.includes('sensor-logs') || c.includes('xxxxxx'));
  assert(where && where.endsWith(`cowrie.json:${badLine}`) && where.includes('…'), `reject sample cut at its end: ${where}`);
  assert(log.errors.length === 0, `console errors:\n${log.errors.join('\n')}`);
  await context.close();
});

await test('browser: the hostile-payload report runs no script, fetches nothing, shows every payload as text', async () => {
  const { page, log, context } = await open(hostileReport);
  await page.waitForTimeout(800);
  const pwned = await page.evaluate(() => window.__cb_pwned);
  assert(pwned === undefined, `a payload ran (window.__cb_pwned = ${pwned})`);
  assert(log.dialogs.length === 0, `dialogs opened: ${log.dialogs.join(', ')}`);
  assert(log.requests.length === 0, `requests made:\n${log.requests.join('\n')}`);
  assert(log.errors.length === 0, `console errors:\n${log.errors.join('\n')}`);
  const dom = await page.evaluate(() => ({
    scripts: document.querySelectorAll('script').length,
    bad: document.querySelectorAll('img, iframe, object, embed, svg, link, base, form, meta[http-equiv="refresh"], [onerror], [onload], [srcdoc]').length,
    styles: document.querySelectorAll('style').length,
    links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')).filter((h) => !h.startsWith('#')),
  }));
  assert(dom.scripts === 2 && dom.styles === 1, `unexpected script/style elements: ${dom.scripts} scripts, ${dom.styles} styles`);
  assert(dom.bad === 0, `${dom.bad} injected elements`);
  assert(dom.links.length === 0, `links out of the page: ${dom.links.join(', ')}`);
  // Every payload session is found, and its strings are shown as text with escapes visible.
  for (const s of hostile.sessions.slice(0, 12)) {
    const found = await searchExplorer(page, '#x-ip', s.src_ip);
    assert(found.includes(s.id), `session of payload ${JSON.stringify(s.payload).slice(0, 60)} not found`);
  }
  const script = hostile.sessions[0];
  await searchExplorer(page, '#x-ip', script.src_ip);
  await page.click(`#x-results a.sess-link[href="#session=${encodeURIComponent(script.id)}"]`);
  await page.waitForSelector('#session-dialog[open]');
  const body = await page.textContent('#session-body');
  assert(body.includes(PAYLOADS[0]), 'the <script> payload is not shown as text');
  await page.screenshot({ path: join(SHOTS, 'hostile-session.png') });
  await page.click('#session-close');
  // Terminal escapes, bidi overrides and separators are visible escapes, never raw: on the page
  // and in the session of each such payload.
  const RAW = ['\u001b', '\u202e', '\u2066', '\u2028', '\u0007', '\u009b', '\u0000'];
  const noRaw = (text, where) => {
    for (const raw of RAW) assert(!text.includes(raw), `raw U+${raw.codePointAt(0).toString(16).padStart(4, '0')} in ${where}`);
  };
  noRaw(await page.evaluate(() => document.body.innerText), 'the page');
  const expect = { '\u001b]0;pwned\u0007root': ['\\e]0;pwned\\x07root'], '\u202eexe.txt': ['\\u202eexe.txt'],
    'line\u2028sep\u2029end': ['line\\u2028sep\\u2029end'], 'echo \u001b[6n; \u009b31m': ['\\e[6n', '\\x9b31m'],
    "=cmd|' /C calc'!A0": ["=cmd|' /C calc'!A0"], 'javascript:window.__cb_pwned=6//': ['javascript:window.__cb_pwned=6//'] };
  for (const [payload, shown] of Object.entries(expect)) {
    const s = hostile.sessions.find((x) => x.payload === payload);
    await searchExplorer(page, '#x-ip', s.src_ip);
    await page.click(`#x-results a.sess-link[href="#session=${encodeURIComponent(s.id)}"]`);
    await page.waitForSelector('#session-dialog[open]');
    const t = await page.evaluate(() => document.getElementById('session-body').innerText);
    noRaw(t, `the session of ${JSON.stringify(payload)}`);
    for (const x of shown) assert(t.includes(x), `${JSON.stringify(x)} not shown in the session of ${JSON.stringify(payload)}`);
    if (payload.startsWith('\u202e')) await page.screenshot({ path: join(SHOTS, 'hostile-bidi-session.png') });
    await page.click('#session-close');
  }
  // A recording whose output holds markup and terminal escapes plays as plain text.
  await searchExplorer(page, '#x-ip', TTY_SESSION.src_ip);
  await page.click(`#x-results a.sess-link[href="#session=${encodeURIComponent(hostileRec.id)}"]`);
  await page.waitForSelector('#session-dialog[open] #tty-player .tty-play');
  await page.click('#tty-player button[data-speed="instant"]');
  await page.waitForFunction(() => document.querySelector('#tty-player pre.tty-screen').textContent.includes('cat x'));
  const screen = await page.evaluate(() => {
    const pre = document.querySelector('#tty-player pre.tty-screen');
    return { text: pre.textContent, elements: pre.querySelectorAll('*').length };
  });
  assert(screen.elements === 0, `the player holds ${screen.elements} elements`);
  assert(screen.text.includes('<script>window.__cb_pwned=12</script>'), `the <script> output is not shown as text: ${JSON.stringify(screen.text)}`);
  assert(screen.text.includes('<img src=x onerror='), 'the <img> output is not shown as text');
  assert(screen.text.includes('red') && !screen.text.includes('pwned-title'), `escape sequences not removed: ${JSON.stringify(screen.text)}`);
  noRaw(screen.text, 'the TTY player');
  await page.screenshot({ path: join(SHOTS, 'hostile-tty.png') });
  await page.click('#session-close');
  await page.evaluate(() => document.getElementById('sec-downloads').scrollIntoView());
  await page.screenshot({ path: join(SHOTS, 'hostile-downloads.png') });
  assert(await page.evaluate(() => window.__cb_pwned) === undefined, 'a payload ran after interaction');
  await context.close();
});

await test('browser: a run without sessions gives a report that opens cleanly', async () => {
  const dir = join(OUT, 'empty-in');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cowrie.json'), '{"eventid":"cowrie.session.connect","timestamp":"2024-01-01T00:00:00Z"}\n{"cut\n');
  const file = analyze([dir], join(OUT, 'empty'));
  const { log, context } = await open(file);
  assert(log.errors.length === 0, `console errors:\n${log.errors.join('\n')}`);
  assert(log.requests.length === 0, `requests: ${log.requests.join(', ')}`);
  await context.close();
});

await browser.close();
writeFileSync(join(OUT, 'results.txt'), results.join('\n') + '\n');
console.log(`report tests: ${passed} passed, ${failures} failed; screenshots in ${SHOTS}`);
process.exit(failures ? 1 : 0);
