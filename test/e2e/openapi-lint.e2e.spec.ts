import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { useTestApp } from '../support/test-context';

/**
 * The OpenAPI document is part of the product: the one the running service serves at
 * /docs-json passes Redocly's `recommended` ruleset with no error and no warning, so every
 * new endpoint or DTO has to document itself properly (security, servers, 4xx, licence…).
 *
 * Stricter than `recommended` in two ways, none looser:
 * - examples in schemas and parameters must conform to their schema (off in `recommended`);
 * - no property may come out as a bare `type: object`. That is what @nestjs/swagger makes of
 *   a union such as `Date | null` or `string | null` when @ApiProperty names no `type`, and
 *   clients generated from it get an object where the API sends a string or a number.
 */
describe('OpenAPI document', () => {
  const t = useTestApp();

  it('passes Redocly recommended rules with no error or warning', async () => {
    const response = await t.app.request('GET', '/docs-json', { key: null });
    expect(response.status).toBe(200);

    const config = await createConfig({
      extends: ['recommended'],
      rules: {
        'no-invalid-schema-examples': 'warn',
        'no-invalid-parameter-examples': 'warn',
        'rule/no-untyped-object': {
          subject: { type: 'Schema' },
          where: [{ subject: { type: 'Schema', property: 'type' }, assertions: { const: 'object' } }],
          assertions: { requireAny: ['properties', 'additionalProperties', 'allOf', 'oneOf', 'anyOf'] },
          message: 'An object with nothing inside: give @ApiProperty an explicit `type` (a union like `Date | null` reflects as Object)',
          severity: 'error',
        },
      },
    });
    const problems = await lintFromString({
      source: JSON.stringify(response.body, null, 2),
      absoluteRef: 'docs-json.json',
      config,
    });

    expect(problems.map(describeProblem)).toEqual([]);
  });
});

/** `severity rule-id at #/pointer: message`, one line per problem. */
function describeProblem(problem: NormalizedProblem): string {
  const where = problem.location.map((location) => location.pointer ?? location.source.absoluteRef).join(', ');
  return `${problem.severity} ${problem.ruleId} at ${where}: ${problem.message}`;
}
