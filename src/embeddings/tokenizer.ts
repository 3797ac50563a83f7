import { getEncoding, type Tiktoken } from 'js-tiktoken';

/** BPE merging is quadratic in the length of one pre-token; longer runs are counted in pieces. */
const MAX_RUN = 200;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, 'gu');

let encoding: Tiktoken | undefined;

/**
 * Counts cl100k_base tokens as OpenAI's embedding models do. Exact for ordinary text;
 * a run of more than 200 non-space characters (base64 blobs, CJK without spaces) is
 * counted in 200-character pieces, which can only over-count, by at most one token per
 * piece, and keeps a 50k-character input from blocking the event loop for seconds.
 * Text that looks like a special token ("<|endoftext|>") is counted as plain text.
 */
export function countTokens(text: string): number {
  encoding ??= getEncoding('cl100k_base');
  const enc = encoding;
  LONG_RUN.lastIndex = 0;
  if (!LONG_RUN.test(text)) return enc.encode(text, [], []).length;
  let total = 0;
  let last = 0;
  for (const match of text.matchAll(LONG_RUN)) {
    if (match.index > last) total += enc.encode(text.slice(last, match.index), [], []).length;
    const codePoints = Array.from(match[0]);
    for (let i = 0; i < codePoints.length; i += MAX_RUN) {
      total += enc.encode(codePoints.slice(i, i + MAX_RUN).join(''), [], []).length;
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) total += enc.encode(text.slice(last), [], []).length;
  return total;
}
