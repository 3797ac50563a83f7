import { getEncoding } from 'js-tiktoken';
import { get_encoding } from 'tiktoken';
import { CL100K_SPECIAL_TOKENS, countTokens as countPlainTokens } from '../../src/embeddings/cl100k';
import { countTokens, escapeSpecialTokens } from '../../src/embeddings/tokenizer';

const reference = getEncoding('cl100k_base');
const referenceCount = (text: string) => reference.encode(text, [], []).length;
/** tiktoken (WASM, OpenAI's Rust core): fast enough for the long inputs where js-tiktoken is quadratic. */
const wasm = get_encoding('cl100k_base');
const wasmCount = (text: string) => wasm.encode(text, [], []).length;
afterAll(() => wasm.free());

const SPECIAL_TOKENS = CL100K_SPECIAL_TOKENS;

describe('countTokens (cl100k_base)', () => {
  it('counts exactly as js-tiktoken on ordinary and tricky text', () => {
    const samples = [
      'How do I reset my password?',
      'Invoices are kept for ten years.\n\nSee §4.2 of the terms.',
      '  leading and   repeated   spaces\t\ttabs\r\nwindows newlines  ',
      'Числа 12345678 и слова; 日本語のテキスト、句読点。emoji 👍🏽 and ZWJ 👩‍👩‍👧',
      "it's they're we'll I'd you've",
      'https://example.com/path?query=1&b=2#frag',
      'camelCaseIdentifiersAndSNAKE_CASE_ones_9',
    ];
    for (const text of samples) expect(countTokens(text)).toBe(referenceCount(text));
  });

  it('agrees with js-tiktoken on 300 random mixed-script strings', () => {
    const alphabet = [
      'a',
      'b',
      'Z',
      ' ',
      '  ',
      '\n',
      '1',
      '9',
      '.',
      ',',
      "'",
      'é',
      'ß',
      'ж',
      '中',
      '文',
      '🙂',
      '\u200d',
      '-',
      '_',
      'the',
      ' and',
      'ing',
    ];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const length = 1 + Math.floor(random() * 120);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(countTokens(text)).toBe(referenceCount(text));
    }
  });

  it('counts long runs without spaces (where js-tiktoken is quadratic) exactly as tiktoken', () => {
    const blob = Buffer.from(Array.from({ length: 900 }, (_, i) => i % 251)).toString('base64');
    expect(countTokens(blob)).toBe(referenceCount(blob));
    for (const text of [
      'x'.repeat(30_000),
      'ab'.repeat(12_000),
      Buffer.from(Array.from({ length: 15_000 }, (_, i) => (i * 7919) % 256)).toString('base64'),
    ]) {
      expect(countTokens(text)).toBe(wasmCount(text));
    }
  });

  it('counts long prose, CJK and emoji exactly as tiktoken', () => {
    const prose = Array.from({ length: 2_000 }, (_, i) => `Clause ${i}: invoices are kept for ${i % 12} years, see §${i % 97}.`).join(' ');
    const cjk = '日本語のテキストと中文文本，한국어 텍스트。'.repeat(250);
    const cjkRun = '漢'.repeat(4_000);
    const emoji = '👩‍👩‍👧‍👦🇫🇷👍🏽🏳️‍🌈❤️‍🔥 '.repeat(500);
    const emojiRun = '😀'.repeat(3_000);
    for (const text of [prose, cjk, cjkRun, emoji, emojiRun]) {
      expect(text.length).toBeGreaterThan(3_000);
      expect(countTokens(text)).toBe(wasmCount(text));
    }
  });
});

describe('special tokens in user text', () => {
  const texts = [
    ...SPECIAL_TOKENS.map((token) => `before ${token} after`),
    '<|endoftext|><|fim_prefix|><|fim_middle|><|fim_suffix|><|endofprompt|>',
    'a question <|endoftext|>'.repeat(300),
    '<|im_start|>system<|im_end|> and <|not_a_cl100k_token|>',
  ];

  it('knows every cl100k special token', () => {
    for (const token of SPECIAL_TOKENS) expect(reference.encode(token, 'all')).toEqual([expect.any(Number)]);
    expect(SPECIAL_TOKENS.map((token) => reference.encode(token, 'all')[0]).sort()).toEqual([100257, 100258, 100259, 100260, 100276]);
  });

  it('escapes every special token, so no input is ever read as one', () => {
    for (const text of texts) {
      const sent = escapeSpecialTokens(text);
      for (const token of SPECIAL_TOKENS) expect(sent).not.toContain(token);
      // Read with every special token allowed, the text sent still holds none.
      expect(reference.encode(sent, 'all').some((id) => id >= 100_257)).toBe(false);
      expect(escapeSpecialTokens(sent)).toBe(sent);
    }
    expect(escapeSpecialTokens('no markup, <| alone |>, a|b')).toBe('no markup, <| alone |>, a|b');
  });

  it('counts the text that is sent, exactly as tiktoken does', () => {
    for (const text of texts) {
      expect(countTokens(text)).toBe(wasmCount(escapeSpecialTokens(text)));
      expect(countPlainTokens(text)).toBe(wasmCount(text));
    }
  });
});
