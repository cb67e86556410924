// Builds the report template: report/src/{report.html, app.js, style.css} plus the charting
// library (ECharts, tree-shaken to the charts we use) into one HTML file whose data block is the
// marker @@CB_DATA@@. CMake runs this, then embeds the template into the binary (embed.cmake).
//
//   node report/build.mjs OUTDIR      -> OUTDIR/report.template.html
//
// The Content-Security-Policy is computed here over the exact inlined script and style text
// (sha256 hashes), so the page allows its own code and nothing else.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('report/build.mjs: esbuild not found: run `make deps` (npm ci in report/)');
  process.exit(1);
}

const MARKER = '@@CB_DATA@@';
const pkg = (name) => JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8'));
const echartsVersion = pkg('echarts').version;
const zrenderVersion = pkg('zrender').version;

const js = await esbuild.build({
  entryPoints: [join(here, 'src', 'app.js')],
  bundle: true,
  minify: !process.env.CB_REPORT_NO_MINIFY,  // CB_REPORT_NO_MINIFY=1 for readable stack traces
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  legalComments: 'none',
  charset: 'utf8',
  write: false,
  logLevel: 'warning',
  banner: {
    js: `/*! cowrie-batch report. Includes Apache ECharts ${echartsVersion} (Apache-2.0, https://echarts.apache.org; ` +
      `Copyright 2017-2026 The Apache Software Foundation) and ZRender ${zrenderVersion} (BSD-3-Clause, Baidu Inc.). */`,
  },
});
const css = await esbuild.build({
  entryPoints: [join(here, 'src', 'style.css')],
  bundle: false,
  minify: true,
  charset: 'utf8',
  write: false,
  logLevel: 'warning',
});
const script = js.outputFiles[0].text.trimEnd();
const style = css.outputFiles[0].text.trimEnd();

// An inline script or style must not close its element early or open an HTML comment.
for (const [name, text] of [['script', script], ['style', style]]) {
  if (/<\/(script|style)/i.test(text) || text.includes('<!--') || text.includes(MARKER)) {
    console.error(`report/build.mjs: the inlined ${name} holds </script, </style, <!-- or the data marker`);
    process.exit(1);
  }
}

const sha = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const csp = [
  "default-src 'none'",
  `script-src ${sha(script)}`,
  `style-src ${sha(style)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

let html = readFileSync(join(here, 'src', 'report.html'), 'utf8');
const fill = (key, value) => {
  const k = `{{${key}}}`;
  if (html.split(k).length !== 2) throw new Error(`report.html must hold ${k} exactly once`);
  html = html.replace(k, () => value);
};
fill('CSP', csp);
fill('STYLE', style);
fill('SCRIPT', script);
if (html.split(MARKER).length !== 2) throw new Error(`report.html must hold ${MARKER} exactly once`);

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.template.html'), html);
console.log(`report template: ${(html.length / 1024).toFixed(0)} KB (script ${(script.length / 1024).toFixed(0)} KB, ` +
  `style ${(style.length / 1024).toFixed(1)} KB)`);
