import type { FieldProblem } from './errors';

const MAX_PROBLEMS = 20;
/** In unicode mode a well-formed pair is one astral code point; only an unpaired half is category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Every string in a request (body, query, path parameters), wherever it sits, checked for
 * what PostgreSQL cannot store (NUL) or would store altered (a lone UTF-16 surrogate,
 * which becomes U+FFFD). Fields are named by their path, `items.3.question`.
 */
export function unsafeTextProblems(value: unknown, root = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const [current, field] = stack.pop()!;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) problems.push({ field: field || 'body', problem });
    } else if (current !== null && typeof current === 'object') {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i];
        stack.push([child, field ? `${field}.${key}` : key]);
      }
    }
  }
  return problems;
}

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must not contain lone UTF-16 surrogates (an unpaired \\uD800–\\uDFFF)';
  return undefined;
}
