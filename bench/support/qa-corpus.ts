import { SeededRandom } from '../../src/compare/near-duplicates/seeded-random';

const TOPICS = ['billing', 'account', 'security', 'shipping', 'returns', 'api', 'privacy', 'mobile', 'search', 'reports'];
const WORDS = (
  'account password invoice payment card refund order delivery address email phone login token key limit plan upgrade ' +
  'downgrade cancel export import report dashboard search filter category setting profile team member role permission ' +
  'webhook integration error timeout retry network device browser app version update backup restore region data privacy'
).split(' ');
const STARTS = ['How do I', 'Can I', 'Why does', 'What happens when I', 'Where can I', 'Is it possible to', 'When will'];

export interface CorpusPair {
  question: string;
  answer: string;
  category: string;
}

/**
 * Synthetic QA pairs shaped like a support FAQ (questions of ~10 words, answers of
 * 40–120 words, 10 categories), seeded so every run embeds the same texts.
 */
export function syntheticQaPairs(count: number, seed = 7, offset = 0): CorpusPair[] {
  const random = new SeededRandom(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random.next() * items.length)];
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  return Array.from({ length: count }, (_, i) => {
    const id = offset + i;
    const category = TOPICS[id % TOPICS.length];
    return {
      question: `${pick(STARTS)} ${words(4 + Math.floor(random.next() * 6))} (#${id})?`,
      answer: `${words(40 + Math.floor(random.next() * 80))}. Reference ${category}-${id}.`,
      category,
    };
  });
}
