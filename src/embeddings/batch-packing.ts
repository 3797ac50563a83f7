/** The OpenAI embeddings API's limits per request and per input. */
export const API_LIMITS = { maxInputsPerRequest: 2048, maxTokensPerRequest: 300_000, maxTokensPerInput: 8191 } as const;

export interface PackingLimits {
  maxInputs: number;
  maxTokens: number;
}

/**
 * Splits items, in order, into consecutive groups under both limits. An item over the
 * token limit on its own gets a group of its own (the caller refuses it before sending).
 */
export function packBatches<T extends { tokens: number }>(items: T[], limits: PackingLimits): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let tokens = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= limits.maxInputs || tokens + item.tokens > limits.maxTokens)) {
      groups.push(current);
      current = [];
      tokens = 0;
    }
    current.push(item);
    tokens += item.tokens;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
