// The page's bundle is built, not committed: every test run serves the client code as it is now.
const { buildUi } = require('../../scripts/build-ui');
// The service and the CLI run as child processes from the sources transpiled once, not in each child.
const { transpileSources } = require('./transpile-sources');

module.exports = async () => {
  await buildUi();
  transpileSources();
};
