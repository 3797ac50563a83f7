/**
 * cl100k_base token counting and decoding over js-tiktoken's own rank table and split
 * pattern, giving the same counts as `getEncoding('cl100k_base').encode(text, [], [])`
 * (special-token look-alikes count as plain text). js-tiktoken's own BPE merge is
 * quadratic with a string join per probe: one 4,000-character CJK input takes ~24 s and
 * would freeze the fake, so the merge here keeps candidate pairs in a heap (n log n).
 */

interface RankFile {
  pat_str: string;
  bpe_ranks: string;
}
// require, not import: TypeScript cannot type this subpath export (node10 resolution ignores `exports`;
// under node16 the typings are ESM-only, TS1479), so the interface above types it.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: no import form type-checks here
const cl100kBase = require('js-tiktoken/ranks/cl100k_base') as RankFile;

/** Token bytes as latin1 strings (one char per byte), so a Map lookup needs no join. */
const rankByBytes = new Map<string, number>();
const bytesByRank: string[] = [];
for (const line of cl100kBase.bpe_ranks.split('\n')) {
  if (!line) continue;
  const [, offset, ...tokens] = line.split(' ');
  tokens.forEach((token, i) => {
    const bytes = Buffer.from(token, 'base64').toString('latin1');
    const rank = Number(offset) + i;
    rankByBytes.set(bytes, rank);
    bytesByRank[rank] = bytes;
  });
}
const splitPattern = new RegExp(cl100kBase.pat_str, 'gu');

// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** cl100k_base's special tokens: `countTokens` reads them as the plain text they look like. */
export const CL100K_SPECIAL_TOKENS: readonly string[] = ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|endofprompt|>'];

export function countTokens(text: string): number {
  // ASCII text is its own UTF-8 byte string: skip the per-piece Buffer round trip.
  const ascii = ASCII.test(text);
  let count = 0;
  for (const match of text.matchAll(splitPattern)) {
    const bytes = ascii ? match[0] : Buffer.from(match[0], 'utf8').toString('latin1');
    count += rankByBytes.has(bytes) ? 1 : countMergedParts(bytes);
  }
  return count;
}

export function isKnownToken(id: number): boolean {
  return Number.isInteger(id) && bytesByRank[id] !== undefined;
}

/** The text of known token ids (as js-tiktoken decodes them). */
export function decodeTokens(ids: readonly number[]): string {
  let bytes = '';
  for (const id of ids) bytes += bytesByRank[id] ?? '';
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/**
 * Byte-pair merge of one pre-token: repeatedly merge the adjacent pair of lowest rank
 * (leftmost on ties, as tiktoken does) and return how many parts remain. Parts are
 * named by their first byte; `next[p]` is where the following part starts.
 */
function countMergedParts(bytes: string): number {
  const n = bytes.length;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  // Rank of the pair starting at each part, -1 if that pair is no token or the part is gone.
  const pairRank = new Int32Array(n).fill(-1);
  const heap = new MinHeap();
  const rankOf = (from: number, to: number) => rankByBytes.get(bytes.slice(from, to)) ?? -1;
  const setPairRank = (part: number) => {
    const end = next[part] < n ? next[next[part]] : n;
    pairRank[part] = next[part] < n ? rankOf(part, end) : -1;
    if (pairRank[part] >= 0) heap.push(pairRank[part] * 2 ** 32 + part);
  };

  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  for (let i = 0; i + 1 < n; i++) setPairRank(i);

  let parts = n;
  while (heap.size > 0) {
    const key = heap.pop();
    const left = key % 2 ** 32;
    if (pairRank[left] !== Math.floor(key / 2 ** 32)) continue; // stale: the pair has changed since
    const right = next[left];
    next[left] = next[right];
    if (next[right] < n) prev[next[right]] = left;
    pairRank[right] = -1;
    parts--;
    setPairRank(left);
    if (prev[left] >= 0) setPairRank(prev[left]);
  }
  return parts;
}

class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= value) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop() as number;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const child = 2 * i + 1;
        if (child >= items.length) break;
        const smaller = child + 1 < items.length && items[child + 1] < items[child] ? child + 1 : child;
        if (items[smaller] >= last) break;
        items[i] = items[smaller];
        i = smaller;
      }
      items[i] = last;
    }
    return top;
  }
}
