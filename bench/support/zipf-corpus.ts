import { SeededRandom } from '../../src/compare/near-duplicates/seeded-random';
import type { CorpusPair } from './qa-corpus';

const SYLLABLES = 'ka lo mi nu re sa ti vo be da fe gi ho ju ke la mo ne pi ru se ta vu wi xo ya zu'.split(' ');
/** The most frequent words of English text are function words; full-text configurations drop them. */
const STOP_WORDS =
  'the of and to a in is it you that he was for on are with as his they be at one have this from or had by but not what all were we when your can there use an each which she do how their if will up other about out many then them these so some her would'.split(
    ' ',
  );

/**
 * QA pairs over a vocabulary of `vocabulary` words drawn with Zipf's law (s = 1), the way words
 * occur in real text: the most frequent are English function words (stop words), then made-up
 * content words, a few common and most rare. Full-text search
 * on it behaves as on a real knowledge base, unlike `syntheticQaPairs`' 60-word vocabulary
 * (where every pair holds every common word). Seeded: every run builds the same pairs.
 */
export function zipfQaPairs(count: number, seed = 13, vocabulary = 20_000): CorpusPair[] {
  const random = new SeededRandom(seed);
  const words = Array.from({ length: vocabulary }, (_, i) => STOP_WORDS[i] ?? wordFor(i));
  // Cumulative weights 1/r for inverse-transform sampling by binary search.
  const cumulative = new Float64Array(vocabulary);
  let total = 0;
  for (let r = 0; r < vocabulary; r++) cumulative[r] = total += 1 / (r + 1);
  const draw = () => {
    const target = random.next() * total;
    let low = 0;
    let high = vocabulary - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid] < target) low = mid + 1;
      else high = mid;
    }
    return words[low];
  };
  const sentence = (n: number) => Array.from({ length: n }, draw).join(' ');
  return Array.from({ length: count }, (_, i) => ({
    question: `${sentence(6 + Math.floor(random.next() * 7))}?`,
    answer: `${sentence(40 + Math.floor(random.next() * 80))}.`,
    category: `topic-${i % 10}`,
  }));
}

function wordFor(index: number): string {
  let word = '';
  let n = index;
  do {
    word += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  } while (n > 0);
  return word;
}
