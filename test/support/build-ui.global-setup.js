// The page's bundle is built, not committed: every test run serves the client code as it is now.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { buildUi } = require('../../scripts/build-ui');
// The service and the CLI run as child processes from the sources transpiled once, not in each child.
const { transpileSources } = require('./transpile-sources');
const { BUILD_WANTED } = require('./slow-first.sequencer');

module.exports = async () => {
  await buildUi();
  // The production build (dist/, scripts/ensure-build.js), when a suite of this run needs it (the
  // sequencer says), starts now beside the first suites instead of inside the first one that needs it;
  // those suites still call ensureBuild(), which waits for this one (one build at a time per checkout).
  if (process.env[BUILD_WANTED] === '1') {
    const child = spawn(process.execPath, [join(__dirname, '../../scripts/ensure-build.js')], { stdio: 'ignore', detached: true });
    child.unref();
    globalThis.annalsBuild = child;
  }
  transpileSources();
};
