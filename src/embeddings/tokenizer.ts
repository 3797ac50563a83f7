import { countTokens as countPlainTokens } from './cl100k';

/**
 * Token counting for OpenAI's embedding models (cl100k_base), done before sending: to
 * pack batches under the API limits, refuse over-long inputs, attribute usage per pair,
 * and estimate migrations.
 *
 * The counts are js-tiktoken's (its rank table and split pattern); the merge step is our
 * own n·log n version (`cl100k.ts`), because js-tiktoken's is quadratic in the length of
 * one pre-token: 4,000 CJK characters or a 10 kB base64 blob without spaces took seconds
 * and blocked the event loop. `npm run bench -- ingest` compares it with js-tiktoken and
 * tiktoken (WASM); `tokenizer.spec.ts` checks it gives the same counts as both.
 *
 * Special tokens: user text may contain `<|endoftext|>` and its kin, which OpenAI has been
 * seen to answer with a 500 (one such pair then fails every batch it joins). Every text
 * sent to a remote provider goes through `escapeSpecialTokens` (in `OpenAIProvider.embed`),
 * and `countTokens` counts that escaped text, so limits, the rate budget and the ledger see
 * the tokens actually sent and billed. Stored text is never changed.
 */

/** The shape of every special token of OpenAI's encodings: cl100k's five, o200k's and chat markup's (`<|im_start|>`). */
const SPECIAL_TOKEN_SHAPE = /<\|(?=[A-Za-z0-9_]+\|>)/g;
/** U+200B ZERO WIDTH SPACE: invisible, and it splits `<|` so no tokenizer reads a special token. */
const ESCAPED_OPENING = '<\u200b|';

/**
 * The text as sent to the provider: `<|name|>` becomes `<` U+200B `|name|>`, plain text to
 * every tokenizer. Idempotent; text without `<|` comes back as it is.
 */
export function escapeSpecialTokens(text: string): string {
  return text.includes('<|') ? text.replace(SPECIAL_TOKEN_SHAPE, ESCAPED_OPENING) : text;
}

/** cl100k tokens of the text as it is sent (special-token look-alikes escaped). */
export function countTokens(text: string): number {
  return countPlainTokens(escapeSpecialTokens(text));
}
