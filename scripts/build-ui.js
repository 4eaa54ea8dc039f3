// @ts-check
/**
 * Builds the page's script and stylesheet: src/ui/client → src/ui/public/annals.{js,css}, one file
 * each, minified, with the charting library (uPlot) bundled in so that the page loads nothing from
 * another origin. The outputs are not committed: `npm run build`, `npm start` and `npm test` build
 * them first (esbuild takes well under a second), so they can never be stale.
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
  await esbuild.build({
    banner: { js: licences(), css: licences() },
    entryPoints: { annals: join(root, 'src/ui/client/main.js'), 'annals-style': join(root, 'src/ui/client/annals.css') },
    outdir: join(root, 'src/ui/public'),
    entryNames: '[name]',
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    legalComments: 'eof',
    logLevel: 'warning',
  });
  // One stylesheet name whatever esbuild calls a CSS entry.
  const fs = require('node:fs');
  fs.renameSync(join(root, 'src/ui/public/annals-style.css'), join(root, 'src/ui/public/annals.css'));
}

module.exports = { buildUi };

if (require.main === module) {
  buildUi().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
