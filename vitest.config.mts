import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Three projects: `unit` runs without any service (fast loop: `npm run test:unit`);
// `integration` gets a real Azurite started once by the global setup; `deploy` builds the
// deployment package from a clean copy of the project, as azd does. Each project runs the app's
// tests (test/) and the workspace packages' own (packages/*/test/). The packages are imported
// from their sources here, so tests need no build (child processes run the built `dist/`).
const source = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@guest-email-change/functions-local-host': source('functions-local-host'),
      '@guest-email-change/graph-emulator': source('graph-emulator'),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'packages/*/test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'packages/*/test/integration/**/*.test.ts'],
          globalSetup: ['test/support/azuriteGlobalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
