import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusPair } from './qa-corpus';
import { loadQuoraQuestionPairs, parseDelimited } from './quora-question-pairs';

/** A knowledge base and queries labelled with the entries that should answer them. */
export interface LabelledSearchSet {
  name: string;
  /** Entries keyed by the index into `pairs`. */
  pairs: CorpusPair[];
  queries: Array<{ text: string; relevant: number[] }>;
  source: string;
}

/**
 * The labelled sets of `shared/data` (each README says how it is laid out), as knowledge bases
 * with queries: whichever are present. Paraphrases become queries, the questions they
 * paraphrase the entries that should answer them; the other questions stay in as distractors.
 */
export function loadLabelledSearchSets(dataDir: string): LabelledSearchSet[] {
  return [covidFaq(dataDir), medicalQuestionPairs(dataDir), quoraDuplicates(dataDir)].filter((set): set is LabelledSearchSet => set !== undefined);
}

function readRows(path: string, delimiter: ',' | '\t'): string[][] | undefined {
  return existsSync(path) ? parseDelimited(readFileSync(path, 'utf8'), delimiter).filter((row) => row.length > 1) : undefined;
}

/** COVID FAQ (213 entries with answers): labelled paraphrases of FAQ questions are the queries. */
function covidFaq(dataDir: string): LabelledSearchSet | undefined {
  const faq = readRows(join(dataDir, 'covid-faq-deepset', 'faq_covidbert.csv'), ',');
  const labelled = readRows(join(dataDir, 'covid-faq-deepset', 'eval_question_similarity_en.csv'), ',');
  if (!faq || !labelled) return undefined;
  const [header, ...rows] = faq;
  const [q, a, c] = ['question', 'answer', 'category'].map((name) => header.indexOf(name));
  const pairs = rows.map((row) => ({ question: row[q], answer: row[a], category: row[c]?.trim() || 'general' }));
  const byQuestion = new Map(pairs.map((pair, index) => [pair.question.trim(), index]));
  const queries = labelled
    .slice(1)
    .filter((row) => row[2] === '1' && byQuestion.has(row[0].trim()))
    .map((row) => ({ text: row[1], relevant: [byQuestion.get(row[0].trim())!] }));
  return {
    name: 'covid_faq',
    pairs,
    queries,
    source: 'covid-faq-deepset: faq_covidbert.csv entries, eval_question_similarity_en.csv paraphrases (similar = 1) as queries',
  };
}

/** Medical question pairs: each original question is an entry (answer: none), its same-intent rewrite the query; different-intent rewrites are distractor entries. */
function medicalQuestionPairs(dataDir: string): LabelledSearchSet | undefined {
  const rows = readRows(join(dataDir, 'medical-question-pairs', 'mqp.csv'), ',');
  if (!rows) return undefined;
  const pairs: CorpusPair[] = [];
  const index = new Map<string, number>();
  const entry = (question: string) => {
    let at = index.get(question);
    if (at === undefined) {
      at = pairs.push({ question, answer: '-', category: 'medical' }) - 1;
      index.set(question, at);
    }
    return at;
  };
  const queries: LabelledSearchSet['queries'] = [];
  for (const [, original, rewrite, label] of rows) {
    const target = entry(original);
    if (label === '1') queries.push({ text: rewrite, relevant: [target] });
    else entry(rewrite);
  }
  return {
    name: 'medical_pairs',
    pairs,
    queries,
    source: 'medical-question-pairs: question_1 as entries, label-1 rewrites as queries, label-0 rewrites as distractors',
  };
}

/** Quora duplicates: first questions are entries; duplicates whose second question is not itself an entry are queries. */
function quoraDuplicates(dataDir: string): LabelledSearchSet | undefined {
  const quora = loadQuoraQuestionPairs(dataDir);
  if (!quora) return undefined;
  const entryIds = [...new Set(quora.pairs.map((pair) => pair.qid1))];
  const position = new Map(entryIds.map((qid, at) => [qid, at]));
  const pairs = entryIds.map((qid) => ({ question: quora.questions.get(qid) ?? '', answer: '-', category: 'quora' }));
  const queries = quora.pairs
    .filter((pair) => pair.isDuplicate && !position.has(pair.qid2))
    .map((pair) => ({ text: quora.questions.get(pair.qid2) ?? '', relevant: [position.get(pair.qid1)!] }));
  return {
    name: 'quora',
    pairs,
    queries,
    source: 'quora-question-pairs-10k: question1 as entries, question2 of duplicate rows (not itself an entry) as queries',
  };
}
