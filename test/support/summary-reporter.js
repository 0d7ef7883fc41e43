/**
 * Prints one plain closing line, "jest: N passed, N failed, N skipped", as the very last line of the
 * run (after Jest's own summary and the global teardown), so CI logs end with the count.
 */
const { writeSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => writeSync(1, line));
  }
}

module.exports = SummaryReporter;
