import { createHash } from 'node:crypto';

/** Bump when the text we embed for a pair changes shape: every pair then counts as changed. */
const CONTENT_FORMAT = 'qa-v1';

/** The text a QA pair is embedded as. Category is metadata and is not embedded. */
export function embeddingText(question: string, answer: string): string {
  return `${question}\n\n${answer}`;
}

/** Identifies the embedded content: equal hashes mean an embedding can be reused. */
export function contentHash(question: string, answer: string): string {
  return createHash('sha256').update(CONTENT_FORMAT).update('\0').update(embeddingText(question, answer)).digest('hex');
}
