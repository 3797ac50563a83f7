import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One labelled row of the Quora Question Pairs sample (see its README in shared/data). */
export interface LabelledQuestionPair {
  qid1: number;
  qid2: number;
  isDuplicate: boolean;
}

export interface QuoraQuestionPairs {
  questions: Map<number, string>;
  pairs: LabelledQuestionPair[];
}

const FILE = join('quora-question-pairs-10k', 'mini_quora_duplicate_questions.tsv');

/** The shared data sets, which live in `shared/data` beside the checkout, if present. */
export function sharedDataDir(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'data');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function loadQuoraQuestionPairs(dataDir: string): QuoraQuestionPairs | undefined {
  const path = join(dataDir, FILE);
  if (!existsSync(path)) return undefined;
  const [header, ...rows] = parseDelimited(readFileSync(path, 'utf8'), '\t');
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`${path}: no column ${name}`);
    return index;
  };
  const [qid1, qid2, question1, question2, isDuplicate] = ['qid1', 'qid2', 'question1', 'question2', 'is_duplicate'].map(column);
  const questions = new Map<number, string>();
  const pairs: LabelledQuestionPair[] = [];
  for (const row of rows) {
    if (row.length < header.length) continue;
    const pair = { qid1: Number(row[qid1]), qid2: Number(row[qid2]), isDuplicate: row[isDuplicate] === '1' };
    questions.set(pair.qid1, row[question1]);
    questions.set(pair.qid2, row[question2]);
    pairs.push(pair);
  }
  return { questions, pairs };
}

/** Delimited rows with CSV-style quoting: "…" fields may hold the delimiter, newlines and "" for a quote. */
export function parseDelimited(text: string, delimiter: ',' | '\t'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === delimiter) {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
