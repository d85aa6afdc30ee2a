import { defineConfig } from 'vitest/config';
import { SkippedSuitesReporter } from './test/support/skipped-suites-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite instances are memory-hungry; two cores do not gain from more forks.
    maxWorkers: 2,
    // Suites skipped for a missing service say so, one line each, after the run.
    reporters: [new SkippedSuitesReporter(), 'default'],
  },
});
