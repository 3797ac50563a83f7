/**
 * Token counting for OpenAI's embedding models (cl100k_base), done before sending: to
 * pack batches under the API limits, refuse over-long inputs, attribute usage per pair,
 * and estimate migrations.
 *
 * The counts are js-tiktoken's (its rank table and split pattern); the merge step is our
 * own n·log n version (`cl100k.ts`), because js-tiktoken's is quadratic in the length of
 * one pre-token: 4,000 CJK characters or a 10 kB base64 blob without spaces took seconds
 * and blocked the event loop. `npm run bench -- ingest` compares it with js-tiktoken and
 * tiktoken (WASM); `tokenizer.spec.ts` checks it gives the same counts as js-tiktoken.
 */
export { countTokens } from './cl100k';
