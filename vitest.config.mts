import { defineConfig } from 'vitest/config';

// Three projects: `unit` runs without any service (fast loop: `npm run test:unit`);
// `integration` gets a real Azurite started once by the global setup; `deploy` builds the
// deployment package from a clean copy of the project, as azd does.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/devhost/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/azuriteGlobalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
