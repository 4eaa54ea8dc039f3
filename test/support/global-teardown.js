/** A production build started by the global setup and still running (a run cut short) is stopped with its children. */
module.exports = async () => {
  const child = globalThis.annalsBuild;
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
};
