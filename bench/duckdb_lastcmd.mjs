#!/usr/bin/env node
// DuckDB baseline for cowrie-batch: "last command of every session".
//
//   node duckdb_lastcmd.mjs [options] INPUT...
//
// INPUT: files, directories (walked recursively; every regular file) or globs
// (anything containing * ? [ is handed to DuckDB as is).  .gz files are read through
// DuckDB's own gzip support (compression='auto_detect' picks it from the extension).
//
// Query: for eventid = 'cowrie.command.input', per (sensor, session) the input with
// the greatest timestamp (arg_max), i.e. one row per session that typed a command.
//
// Options:
//   --threads N        DuckDB worker threads (default 2)
//   --mode columns     read_json with an explicit 5-column schema (default; fastest,
//                      DuckDB only materialises the fields the query needs)
//   --mode sniff       read_json with no schema: DuckDB samples the first rows/files for one
//                      (what `read_json(...)` means when you type it without columns)
//   --mode auto        read_json_auto with union_by_name=true (schema sniffed per file)
//   --sniff            drop inputs that are not Cowrie JSON logs (MANIFEST.json, binary
//                      tty files, ...) by looking at their first bytes; timed separately
//   --max-object-size BYTES   maximum_object_size (default 64 MiB: a NUL-prefixed file can
//                      put hundreds of KB of NULs in front of its first line)
//   --out FILE         also write "sensor<TAB>session<TAB>timestamp" rows, sorted
//   --per-file-fallback  if the query fails, probe each file, report the unreadable
//                      ones and re-run on the readable rest
//   --memory-limit X   e.g. 4GB (DuckDB default: 80% of RAM)
//
// Prints one JSON object on stdout: rows, seconds (the query), seconds_total (process
// work after module load), files, failures ...
import { DuckDBInstance, version as duckdbVersion } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const t0 = process.hrtime.bigint();
const secs = (a, b) => Number(b - a) / 1e9;

function usage(msg) {
  if (msg) console.error(`duckdb_lastcmd: ${msg}`);
  console.error('usage: node duckdb_lastcmd.mjs [--threads N] [--mode columns|sniff|auto] [--sniff] ' +
    '[--max-object-size BYTES] [--out FILE] [--per-file-fallback] [--memory-limit X] INPUT...');
  process.exit(2);
}

const opt = { threads: 2, mode: 'columns', sniff: false, maxObj: 64 * 1024 * 1024, out: null,
  fallback: false, memoryLimit: null, inputs: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
  if (a === '--threads') opt.threads = parseInt(next(), 10);
  else if (a === '--mode') opt.mode = next();
  else if (a === '--sniff') opt.sniff = true;
  else if (a === '--max-object-size') opt.maxObj = parseInt(next(), 10);
  else if (a === '--out') opt.out = next();
  else if (a === '--per-file-fallback') opt.fallback = true;
  else if (a === '--memory-limit') opt.memoryLimit = next();
  else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else opt.inputs.push(a);
}
if (!opt.inputs.length) usage('no INPUT');
if (!['columns', 'sniff', 'auto'].includes(opt.mode)) usage(`bad --mode ${opt.mode}`);
if (!(opt.threads >= 1)) usage('bad --threads');

// ---------------------------------------------------------------- inputs
function walk(dir, out) {
  const ents = fs.readdirSync(dir, { withFileTypes: true })
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const e of ents) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink()) {
      const st = fs.statSync(p, { throwIfNoEntry: false });
      if (st?.isFile()) out.push(p); else if (st?.isDirectory()) walk(p, out);
    }
  }
}
const isGlob = (s) => /[*?[]/.test(s);
const sources = [];
for (const inp of opt.inputs) {
  if (isGlob(inp)) { sources.push(inp); continue; }
  const st = fs.statSync(inp, { throwIfNoEntry: false });
  if (!st) { console.error(`duckdb_lastcmd: no such input: ${inp}`); process.exit(2); }
  if (st.isDirectory()) walk(inp, sources); else sources.push(inp);
}

// Content sniffing: keep gzip'd or text whose first lines contain a JSON object with eventid.
function looksLikeEventLog(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(1 << 20);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    let head = buf.subarray(0, n);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      try { head = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH }); }
      catch { return true; } // let DuckDB decide
    }
    let s = 0;
    while (s < head.length && head[s] === 0) s++;
    const text = head.subarray(s, Math.min(head.length, s + 65536)).toString('latin1');
    return text.split('\n').some((l) => l.trimStart().startsWith('{') && l.includes('"eventid"'));
  } catch { return false; } finally { if (fd !== undefined) fs.closeSync(fd); }
}
const tSniff0 = process.hrtime.bigint();
let skipped = [];
let files = sources;
if (opt.sniff) {
  files = sources.filter((f) => isGlob(f) || looksLikeEventLog(f));
  skipped = sources.filter((f) => !files.includes(f));
}
const tSniff1 = process.hrtime.bigint();
if (!files.length) { console.error('duckdb_lastcmd: no input files'); process.exit(2); }

// ---------------------------------------------------------------- query
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
function readJson(list) {
  const arg = list.length === 1 ? q(list[0]) : `[${list.map(q).join(', ')}]`;
  const common = `format='newline_delimited', ignore_errors=true, compression='auto_detect', ` +
    `maximum_object_size=${opt.maxObj}`;
  if (opt.mode === 'columns') {
    return `read_json(${arg}, ${common}, columns={eventid: 'VARCHAR', sensor: 'VARCHAR', ` +
      `session: 'VARCHAR', "timestamp": 'VARCHAR', input: 'VARCHAR'})`;
  }
  if (opt.mode === 'sniff') return `read_json(${arg}, ${common})`;
  return `read_json_auto(${arg}, ${common}, union_by_name=true)`;
}
function lastCmdSql(list) {
  return `SELECT sensor, session, arg_max(input, "timestamp") AS input, ` +
    `max("timestamp") AS ts FROM ${readJson(list)} ` +
    `WHERE eventid = 'cowrie.command.input' GROUP BY sensor, session`;
}

const config = { threads: String(opt.threads) };
if (opt.memoryLimit) config.memory_limit = opt.memoryLimit;
const instance = await DuckDBInstance.create(':memory:', config);
const con = await instance.connect();

async function countRows(list) {
  await con.run('DROP TABLE IF EXISTS lastcmd');
  await con.run(`CREATE TEMP TABLE lastcmd AS ${lastCmdSql(list)}`);
  const r = await con.runAndReadAll('SELECT count(*)::BIGINT AS n FROM lastcmd');
  return Number(r.getRows()[0][0]);
}

const result = {
  tool: 'duckdb', duckdb_version: duckdbVersion(), mode: opt.mode, threads: opt.threads,
  inputs: opt.inputs, files: files.length, skipped_by_sniff: skipped,
};
let rows; let failures = [];
const tq0 = process.hrtime.bigint();
let tq1;
try {
  rows = await countRows(files);
  tq1 = process.hrtime.bigint();
} catch (e) {
  tq1 = process.hrtime.bigint();
  result.error = String(e.message ?? e).split('\n')[0];
  if (!opt.fallback) {
    result.seconds = secs(tq0, tq1);
    console.log(JSON.stringify(result));
    console.error(`duckdb_lastcmd: query failed (try --per-file-fallback): ${result.error}`);
    process.exit(1);
  }
  // Probe files one by one, then re-run (timed) on the readable ones.
  const ok = [];
  for (const f of files) {
    try { await countRows([f]); ok.push(f); }
    catch (e2) { failures.push({ file: f, error: String(e2.message ?? e2).split('\n')[0] }); }
  }
  const tr0 = process.hrtime.bigint();
  rows = ok.length ? await countRows(ok) : 0;
  tq1 = process.hrtime.bigint();
  result.seconds_rerun = secs(tr0, tq1);
}
result.rows = rows;
result.failures = failures;
result.seconds = secs(tq0, tq1);
result.seconds_sniff = secs(tSniff0, tSniff1);

if (opt.out) {
  const tsExpr = opt.mode === 'columns' ? 'ts'
    : `CASE WHEN typeof(ts) LIKE 'TIMESTAMP%' THEN strftime(ts::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ') ELSE ts::VARCHAR END`;
  await con.run(`COPY (SELECT sensor, session, ${tsExpr} FROM lastcmd ORDER BY ALL) TO ${q(opt.out)} ` +
    `(FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '')`);
}
con.closeSync?.();
instance.closeSync?.();
result.seconds_total = secs(t0, process.hrtime.bigint());
console.log(JSON.stringify(result));
