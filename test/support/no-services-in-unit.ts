/**
 * Stands in for the helpers that reach PostgreSQL or Redis (test-env, private-postgres,
 * private-redis) when a file in test/unit imports them: see jest.config.js.
 */
export {};

throw new Error(
  'test/unit is pure logic and runs without PostgreSQL or Redis: a test that needs them belongs in test/integration (or test/e2e if it boots the HTTP app)',
);
