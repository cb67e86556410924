// serve in a real browser: headless Chromium (the Debian package, driven by playwright-core from
// report/node_modules; never a downloaded browser) logs in, searches an address and a command word,
// opens a session, logs out. The OUTDIR holds the project's examples and report/test's hostile
// log, so every attacker string the page shows is a payload: none may run a script, open a dialog
// or fetch anything; every request must go to the server on 127.0.0.1.
//
//   node serve/test/browser.mjs     (make serve-test; CB_BIN, CHROMIUM, CB_SERVE_TEST_OUT)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const BIN = resolve(process.env.CB_BIN || join(repo, 'build', 'cowrie-batch'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = resolve(process.env.CB_SERVE_TEST_OUT || join(repo, 'build', 'serve-test'));
const PASSWORD = 'a long and correct password';
const { hostileLog, PAYLOADS } = await import(pathToFileURL(join(repo, 'report', 'test', 'hostile.mjs')).href);
const { chromium } = await import(pathToFileURL(join(repo, 'report', 'node_modules', 'playwright-core', 'index.mjs')).href);

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

if (!existsSync(CHROMIUM)) {  // as report/test/run.mjs: make deps installs it
  console.log(`serve browser test SKIPPED: no Chromium at ${CHROMIUM} (make deps installs the Debian package)`);
  process.exit(process.env.CB_REPORT_TEST_REQUIRE === '1' ? 1 : 0);
}
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const hostile = hostileLog();
writeFileSync(join(OUT, 'hostile.json'), hostile.text);
// 6,000 sessions without a login, older than every other: more than report.html embeds, so the
// oldest are left out of it, and the report served links them to serve's page of each
const FILLER = 6000;
const fillerId = (i) => 'f' + i.toString(16).padStart(11, '0');
const filler = [];
for (let i = 0; i < FILLER; i++) {
  const t = Date.UTC(2015, 0, 1) + i * 60000;
  const common = { session: fillerId(i), sensor: 'filler', src_ip: `127.0.${9 + (i >> 8)}.${i & 255}` };
  filler.push(JSON.stringify({ eventid: 'cowrie.session.connect', timestamp: new Date(t).toISOString(), src_port: 40000,
    dst_ip: '127.0.0.1', dst_port: 2222, protocol: 'ssh', ...common }));
  filler.push(JSON.stringify({ eventid: 'cowrie.session.closed', timestamp: new Date(t + 5000).toISOString(), duration: 5.0, ...common }));
}
writeFileSync(join(OUT, 'filler.json'), filler.join('\n') + '\n');
try {
  execFileSync(BIN, ['analyze', join(repo, 'examples', 'logs'), join(OUT, 'hostile.json'), join(OUT, 'filler.json'),
    '-o', join(OUT, 'out'), '-q']);
} catch (e) {
  if (e.status !== 1) throw e;
}
execFileSync(BIN, ['user', 'add', 'alice', '--users', join(OUT, 'users')], { input: PASSWORD + '\n', stdio: ['pipe', 'ignore', 'ignore'] });

const server = spawn(BIN, ['serve', join(OUT, 'out'), '--users', join(OUT, 'users'), '--listen', '127.0.0.1:0',
  '--tty-dir', join(repo, 'examples', 'logs', 'tty')],
  { stdio: ['ignore', 'ignore', 'pipe'] });
let serverLog = '';
const port = await new Promise((ok, fail) => {
  server.stderr.on('data', (d) => {
    serverLog += d;
    const m = /127\.0\.0\.1:(\d+)\//.exec(serverLog);
    if (m) ok(Number(m[1]));
  });
  server.on('exit', (code) => fail(new Error(`serve exited ${code}: ${serverLog}`)));
});
const base = `http://127.0.0.1:${port}`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions'],
});
let failed = false;
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = { errors: [], dialogs: [], foreign: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('dialog', (d) => { log.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await context.route((u) => !u.href.startsWith(base + '/'), (route) => { log.foreign.push(route.request().url()); route.abort(); });

  await page.goto(base + '/');
  assert(page.url() === base + '/login', `without a login / leads to /login, not ${page.url()}`);
  await page.fill('input[name=username]', 'alice');
  await page.fill('input[name=password]', 'wrong');
  await page.click('button[type=submit]');
  assert((await page.textContent('.message')).includes('Wrong'), 'a wrong password says so');
  await page.fill('input[name=username]', 'alice');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('#sessions tbody tr');
  assert((await page.textContent('#user')) === 'alice', 'the page names the user');
  log.errors.length = 0;  // the wrong password's 401 was logged as a failed load; nothing else may be

  const victim = hostile.sessions[1];
  await page.fill('#q', victim.src_ip);
  await page.click('#search button');
  await page.waitForFunction((ip) => document.querySelector('#total').textContent.includes(ip), victim.src_ip);
  const rows = await page.$$eval('#sessions tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert(rows.length === 1 && rows[0][3] === victim.src_ip, `one session from ${victim.src_ip}: ${JSON.stringify(rows)}`);
  await page.click('#sessions tbody tr');
  await page.waitForSelector('#detail:not([hidden])');
  const timeline = await page.textContent('#timeline');
  assert(timeline.includes(victim.payload), 'the payload is shown as text in the timeline');
  assert(page.url().includes('session=') && page.url().includes('q='), `the state is in the address: ${page.url()}`);

  // a shared link opens the same view
  const shared = page.url();
  const other = await context.newPage();
  await other.goto(shared);
  await other.waitForSelector('#detail:not([hidden])');
  assert((await other.textContent('#timeline')) === timeline, 'a shared link shows the same session');
  await other.close();

  // a sensor whose name holds a '/' (and markup) opens like any other
  const odd = hostile.sessions[0];
  await page.fill('#q', odd.src_ip);
  await page.click('#search button');
  await page.waitForFunction((ip) => document.querySelector('#total').textContent.includes(ip), odd.src_ip);
  await page.click('#sessions tbody tr');
  await page.waitForFunction((t) => document.querySelector('#detail-title').textContent === t, odd.id.replace(/\/([^/]*)$/, ' / $1'));
  assert((await page.textContent('#timeline')).includes(odd.payload), 'the odd sensor\'s session shows its payload');

  // a command word, and every hostile session's strings rendered
  await page.fill('#q', 'uname');
  await page.click('#search button');
  await page.waitForFunction(() => document.querySelector('#total').textContent.includes('"uname"'));
  const total = Number((await page.textContent('#total')).split(' ')[0]);
  assert(total >= PAYLOADS.length, `uname is in every hostile session: ${total}`);
  const pwned = await page.evaluate(() => window.__cb_pwned);
  assert(pwned === undefined, `a payload ran: __cb_pwned=${pwned}`);
  assert(log.dialogs.length === 0, `dialogs opened: ${log.dialogs}`);
  assert(log.foreign.length === 0, `requests left the server: ${log.foreign}`);
  assert(log.errors.length === 0, `console errors: ${log.errors}`);

  // a session with a recording: the player writes what the attacker saw
  await page.fill('#q', 'id');
  await page.click('#search button');
  await page.waitForFunction(() => document.querySelector('#total').textContent.includes('"id"'));
  const ids = await page.$$eval('#sessions tbody tr', (trs) => trs.map((tr) => [tr.children[1].textContent, tr.children[2].textContent]));
  let played = false;
  for (const [sensor, session] of ids) {
    await page.evaluate(([a, b]) => { location.hash = new URLSearchParams({ q: 'id', sensor: a, session: b }).toString(); }, [sensor, session]);
    await page.waitForFunction((t) => document.querySelector('#detail-title').textContent === t, sensor + ' / ' + session);
    if (await page.isHidden('#tty-box')) continue;
    await page.click('#tty-play');
    await page.waitForFunction(() => document.querySelector('#tty').textContent.includes('uid=0(root)'), null, { timeout: 30000 });
    played = true;
    break;
  }
  assert(played, `no session of "id" had a recording that plays: ${ids}`);

  // the tables: every result table, its rows as text, its downloads
  await page.click('#nav-tables');
  await page.waitForSelector('#tables:not([hidden]) #table-rows tbody tr');
  await page.selectOption('#table-name', 'credentials');
  await page.waitForFunction(() => location.hash.includes('t=credentials'));
  await page.waitForFunction(() => document.querySelector('#table-rows thead th')?.textContent === 'username');
  const credRows = await page.$$eval('#table-rows tbody tr', (trs) => trs.map((tr) => tr.children[1].textContent));
  assert(credRows.some((p) => p === PAYLOADS[0]), 'a hostile password is shown as text in the credentials table');
  const csv = await page.evaluate(async () => {
    const r = await fetch(document.querySelector('#table-csv').href);
    return [r.status, r.headers.get('content-disposition'), (await r.text()).split('\r\n')[0]];
  });
  assert(csv[0] === 200 && csv[1].includes('credentials.csv') && csv[2].startsWith('username,password'), `CSV link: ${csv}`);
  const pwnedTables = await page.evaluate(() => window.__cb_pwned);
  assert(pwnedTables === undefined, `a payload ran in the tables: ${pwnedTables}`);
  await page.click('#nav-sessions');
  await page.waitForSelector('#results:not([hidden])');

  // the report, served under its own policy: it must draw (no CSP violation, no error)
  await page.click('#nav-report');
  await page.waitForSelector('html[data-ready="true"]', { timeout: 60000 });
  assert(log.errors.length === 0, `the report logged errors: ${log.errors}`);
  assert((await page.evaluate(() => window.__cb_pwned)) === undefined, 'a payload ran in the report');
  // a session the report does not embed: its dialog links to serve's page of it, live from the database
  const unembedded = fillerId(500);
  await page.goto(`${base}/report#session=filler/${unembedded}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 60000 });
  await page.waitForSelector('#session-body a[href^="/#"]');
  assert((await page.textContent('#session-body')).includes('not embedded'), 'the report says the session is not embedded');
  await page.click('#session-body a[href^="/#"]');
  await page.waitForFunction((t) => document.querySelector('#detail-title')?.textContent === t, `filler / ${unembedded}`);
  assert((await page.textContent('#detail')).includes('127.0.10.244'), 'serve shows the session the report left out');
  // the explorer's search, carried to serve's search of every session
  await page.goto(`${base}/report`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 60000 });
  await page.fill('#x-q', '127.0.10.244');
  assert((await page.getAttribute('#x-serve-search', 'href')) === '/#q=127.0.10.244', 'the link carries the search');
  await page.click('#x-serve-search');
  await page.waitForFunction(() => document.querySelector('#total')?.textContent.includes('127.0.10.244'));
  const found = await page.$$eval('#sessions tbody tr', (trs) => trs.map((tr) => tr.children[3].textContent));
  assert(found.length === 1 && found[0] === '127.0.10.244', `serve finds the left-out session: ${found}`);
  await page.click('#nav-sessions');
  await page.waitForSelector('#results:not([hidden])');

  await page.click('#logout button');
  await page.waitForURL(base + '/login');
  const after = await page.evaluate(async () => (await fetch('/api/me')).status);
  assert(after === 401, `after logout /api/me answers ${after}`);
  console.log(`ok   serve in Chromium: login, search by address and command, session, shared link, recording, tables, report, a session the report leaves out, logout (port ${port})`);
} catch (e) {
  failed = true;
  console.log(`FAIL serve in Chromium: ${e.stack || e}\nserver log:\n${serverLog}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
process.exit(failed ? 1 : 0);
