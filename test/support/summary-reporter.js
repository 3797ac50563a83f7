/**
 * Prints the one line CI reads: `N passed, N failed`. Suites that fail to run
 * (a syntax error, a hook that throws) count as failed tests, so they cannot hide.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    require('node:fs').writeFileSync(process.env.TEST_SUMMARY_FILE || '/dev/null', line + '\n');
    process.stdout.write('\n' + line + '\n');
  }
}
module.exports = SummaryReporter;
