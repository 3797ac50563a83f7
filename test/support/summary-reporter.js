/**
 * Computes the one line CI reads: `N passed, N failed`. Suites that fail to run (a syntax
 * error, a hook that throws) count as failed tests, so they cannot hide. scripts/test.sh
 * prints it last (via TEST_SUMMARY_FILE); a bare `jest` prints it here.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    if (process.env.TEST_SUMMARY_FILE) require('node:fs').writeFileSync(process.env.TEST_SUMMARY_FILE, line + '\n');
    else process.stdout.write('\n' + line + '\n');
  }
}
module.exports = SummaryReporter;
