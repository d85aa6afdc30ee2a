import type { Reporter, TestModule, Vitest } from 'vitest/node';

/** The ending `suiteTitle()` (services.ts) gives a suite skipped for a missing service. */
const SKIPPED = / \(skipped: (.+)\)$/;

/**
 * Prints one line for each suite skipped for a missing service, naming the suite and the
 * variable to set. The default reporter counts skipped tests but does not say which suites or
 * why, so a run without DATABASE_URL would look complete while PostgreSQL went untested.
 */
export class SkippedSuitesReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    for (const module of modules) {
      for (const suite of module.children.allSuites()) {
        const reason = SKIPPED.exec(suite.name)?.[1];
        if (!reason) continue;
        const name = suite.fullName.replace(SKIPPED, '');
        this.vitest?.logger.log(`skipped ${module.relativeModuleId} > ${name}: ${reason}`);
      }
    }
  }
}
