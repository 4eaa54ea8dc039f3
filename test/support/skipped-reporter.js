/**
 * Prints, after the run, every group of skipped tests with the reason its title gives (EventStoreDB
 * without a server, the browser without Chromium, docker-compose absent), so a skip is said plainly
 * and never passes for a pass.
 */
class SkippedReporter {
  onRunComplete(_contexts, results) {
    const groups = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending' && test.status !== 'skipped') continue;
        // In a grouped file (docs/testing.md, "Grouped suites") the outer describe is the case file's name; the reason is one level in.
        const titles = /\.group\.spec\.ts$/.test(file.testFilePath) ? test.ancestorTitles.slice(1) : test.ancestorTitles;
        const group = titles[0] ?? test.title;
        // A test that is skipped alone says why in its own title (`… (skipped: …)`), where its describe does not.
        const reason = /\(skipped: .*\)$/.exec(test.title)?.[0];
        const key = reason && !group.includes('(skipped') ? `${group} ${reason}` : group;
        groups.set(key, (groups.get(key) ?? 0) + 1);
      }
    }
    if (groups.size === 0) return;
    console.log('\nSkipped, not passed:');
    for (const [group, count] of groups) console.log(`  ${count} test(s): ${group}`);
  }
}

module.exports = SkippedReporter;
