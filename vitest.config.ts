import { defineConfig } from 'vitest/config';

// unit: pure code, no infrastructure. integration: real MariaDB, Redis, Kafka.
// e2e: the three services started as processes. chaos: faults and bad input (npm run test:chaos).
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.unit.test.ts'],
          exclude: ['**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./tests/global-setup.ts'],
          setupFiles: ['./tests/kafka-credentials.setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./tests/global-setup.ts'],
          setupFiles: ['./tests/kafka-credentials.setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // chaos: faults under load and bad input, on a broker, a Redis and a MariaDB of its own (tests/chaos/).
        test: {
          name: 'chaos',
          include: ['tests/chaos/**/*.chaos.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./tests/global-setup.ts'],
          setupFiles: ['./tests/kafka-credentials.setup.ts'],
          testTimeout: 15 * 60_000,
          hookTimeout: 5 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
