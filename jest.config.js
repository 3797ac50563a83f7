/**
 * One Jest run, three tiers (see README "Tests"): `unit` is pure logic and needs no
 * PostgreSQL or Redis; `integration` and `e2e` share the database set-up (a migrated
 * template every file clones). `jest` runs them all; `jest --selectProjects unit` one tier.
 */
const swc = ['@swc/jest', { swcrc: false, ...require('./swc.jest.json') }];

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

const withServices = {
  ...base,
  // Per project (not top level), so a unit-only run never touches PostgreSQL; Jest runs
  // each distinct set-up module once per run, however many projects name it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.spec.ts'],
      // The helpers that reach PostgreSQL or Redis fail on import here, naming the tier to use.
      moduleNameMapper: { '/(test-env|private-postgres|private-redis)$': '<rootDir>/test/support/no-services-in-unit.ts' },
    },
    { ...withServices, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.spec.ts'] },
    { ...withServices, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'] },
  ],
  // Global options (Jest 29 reads these only at the top level, not per project).
  testTimeout: 120_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
