import { getEncoding } from 'js-tiktoken';
import { countTokens } from '../../src/embeddings/tokenizer';

const reference = getEncoding('cl100k_base');
const referenceCount = (text: string) => reference.encode(text, [], []).length;

describe('countTokens (cl100k_base)', () => {
  it('counts exactly as js-tiktoken on ordinary and tricky text', () => {
    const samples = [
      'How do I reset my password?',
      'Invoices are kept for ten years.\n\nSee §4.2 of the terms.',
      '  leading and   repeated   spaces\t\ttabs\r\nwindows newlines  ',
      'Числа 12345678 и слова; 日本語のテキスト、句読点。emoji 👍🏽 and ZWJ 👩‍👩‍👧',
      "it's they're we'll I'd you've",
      '<|endoftext|> looks special but is plain text',
      'https://example.com/path?query=1&b=2#frag',
      'camelCaseIdentifiersAndSNAKE_CASE_ones_9',
    ];
    for (const text of samples) expect(countTokens(text)).toBe(referenceCount(text));
  });

  it('agrees with js-tiktoken on 300 random mixed-script strings', () => {
    const alphabet = ['a', 'b', 'Z', ' ', '  ', '\n', '1', '9', '.', ',', "'", 'é', 'ß', 'ж', '中', '文', '🙂', '\u200d', '-', '_', 'the', ' and', 'ing'];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const length = 1 + Math.floor(random() * 120);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(countTokens(text)).toBe(referenceCount(text));
    }
  });

  it('counts a long run without spaces (where js-tiktoken is quadratic) exactly', () => {
    const blob = Buffer.from(Array.from({ length: 900 }, (_, i) => i % 251)).toString('base64');
    expect(countTokens(blob)).toBe(referenceCount(blob));
    const long = 'x'.repeat(30_000);
    expect(countTokens(long)).toBeGreaterThan(1000);
  });
});
