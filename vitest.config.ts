import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { ProgressReporter } from './test/reporters/progress.js';

/** The packages by name, from their TypeScript source: the `paths` of tsconfig.json. */
const source = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@session-state\/client$/, replacement: source('./packages/client/src/index.ts') },
      { find: /^@session-state\/langgraph$/, replacement: source('./packages/langgraph/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30000,
    hookTimeout: 60000,
    // Files done of total on every finished file's line (test/reporters/progress.ts), in a
    // terminal, a CI log or a pipe alike; GitHub Actions also gets its annotations.
    reporters: [new ProgressReporter(), ...(process.env.GITHUB_ACTIONS === 'true' ? ['github-actions'] : [])],
  },
});
