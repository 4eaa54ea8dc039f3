// The page's bundle is built, not committed: every test run serves the client code as it is now.
const { buildUi } = require('../../scripts/build-ui');

module.exports = async () => {
  await buildUi();
};
