/**
 * Prints a plain closing line ("vitest: N passed, N failed, N skipped") and, under CI=true,
 * fails the run when any test was skipped: a skip must never hide a missing dependency.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    console.log(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    if (process.env.CI === 'true' && skipped > 0) {
      console.error(`CI=true: ${skipped} skipped test(s) count as failures`);
      process.exitCode = 1;
    }
  }
}
