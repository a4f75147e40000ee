import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'], pool: 'forks', testTimeout: 30000, hookTimeout: 60000 },
});
