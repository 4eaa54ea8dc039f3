// @ts-check
/**
 * Builds the page from its source in src/ui/client into src/ui/public, which holds only what this
 * writes: index.html (copied), annals.js (the TypeScript modules from annals.ts, with the charting
 * library uPlot bundled in so that the page loads nothing from another origin) and annals.css (the
 * component stylesheets from annals.css), minified. The folder is not committed: `npm run build`,
 * `npm start` and `npm test` build it first (esbuild takes well under a second), so it can never be stale.
 */
const esbuild = require('esbuild');
const { join } = require('node:path');

const root = join(__dirname, '..');

/** uPlot's MIT notice travels with the bundle (its own header is not a comment esbuild keeps). */
function licences() {
  const fs = require('node:fs');
  const uplot = require('uplot/package.json');
  const text = fs.readFileSync(require.resolve('uplot/LICENSE'), 'utf8').trim();
  return `/*! Annals web page. Bundles uPlot ${uplot.version} (https://github.com/leeoniya/uPlot):\n${text.replace(/\*\//g, '* /')}\n*/`;
}

async function buildUi() {
  const fs = require('node:fs');
  const client = join(root, 'src/ui/client');
  const out = join(root, 'src/ui/public');
  const result = await esbuild.build({
    banner: { js: licences(), css: licences() },
    entryPoints: { annals: join(client, 'annals.ts'), 'annals-style': join(client, 'annals.css') },
    outdir: out,
    entryNames: '[name]',
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    legalComments: 'eof',
    logLevel: 'warning',
    write: false,
  });
  // One stylesheet name whatever esbuild calls a CSS entry.
  const files = new Map(result.outputFiles.map((file) => [file.path === join(out, 'annals-style.css') ? join(out, 'annals.css') : file.path, Buffer.from(file.contents)]));
  files.set(join(out, 'index.html'), fs.readFileSync(join(client, 'index.html')));
  // Made afresh (a file left from an older layout is never served), but a file whose content is already
  // there is left alone and a changed one is swapped in whole: a page served meanwhile (a build while the
  // tests run) never sees the folder empty or a file half-written.
  fs.mkdirSync(out, { recursive: true });
  for (const name of fs.readdirSync(out)) if (!files.has(join(out, name)) && !name.endsWith('.tmp')) fs.rmSync(join(out, name), { recursive: true, force: true });
  for (const [path, contents] of files) {
    if (fs.existsSync(path) && fs.readFileSync(path).equals(contents)) continue;
    const next = `${path}.${process.pid}.tmp`;
    fs.writeFileSync(next, contents);
    fs.renameSync(next, path);
  }
}

module.exports = { buildUi };

if (require.main === module) {
  buildUi().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
