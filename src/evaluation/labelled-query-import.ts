import { parse } from 'csv-parse/sync';
import { type FieldProblem, invalidFields } from '../common/errors';

export const MAX_QUERY_CHARS = 4_000;
export const MAX_CATEGORY_CHARS = 100;
export const MAX_RELEVANT_PAIRS = 100;
export const MAX_IMPORT_LINES = 10_000;
/** Enough problems to fix a file by; a file wrong on every line would otherwise answer megabytes. */
const MAX_PROBLEMS_SHOWN = 20;

export type ImportFormat = 'csv' | 'jsonl';

export interface LabelledQueryInput {
  query: string;
  relevantPairIds: string[];
  category?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex -- matching NUL is the point: PostgreSQL text cannot hold it
const NUL = /\u0000/;

/** The problem with one labelled query, or null when it is fine. */
export function labelledQueryProblem(input: { query?: unknown; relevantPairIds?: unknown; category?: unknown }): string | null {
  const { query, relevantPairIds, category } = input;
  if (typeof query !== 'string' || !/\S/.test(query)) return 'query: must be a non-blank string';
  if (query.length > MAX_QUERY_CHARS) return `query: longer than ${MAX_QUERY_CHARS} characters`;
  if (NUL.test(query)) return 'query: must not contain NUL characters';
  if (!Array.isArray(relevantPairIds) || relevantPairIds.length === 0) return 'relevantPairIds: must list at least one QA pair id';
  if (relevantPairIds.length > MAX_RELEVANT_PAIRS) return `relevantPairIds: at most ${MAX_RELEVANT_PAIRS} ids`;
  const bad = relevantPairIds.find((id) => typeof id !== 'string' || !UUID.test(id));
  if (bad !== undefined) return `relevantPairIds: ${JSON.stringify(bad)} is not a UUID`;
  if (category !== undefined && category !== null) {
    if (typeof category !== 'string' || !/\S/.test(category)) return 'category: must be a non-blank string';
    if (category.length > MAX_CATEGORY_CHARS) return `category: longer than ${MAX_CATEGORY_CHARS} characters`;
    if (NUL.test(category)) return 'category: must not contain NUL characters';
  }
  return null;
}

/**
 * Reads an import file: JSON Lines (`{"query", "relevantPairIds": [...], "category"?}` per
 * line) or CSV with a header `query,relevant_pair_ids[,category]` (ids separated by `|`,
 * `;` or spaces). All or nothing: any bad line fails the import with an invalid_input
 * error whose details name the lines (`content`, `line 7: …`).
 */
export function parseLabelledQueries(format: ImportFormat, content: string): Array<LabelledQueryInput & { line: number }> {
  const rows = format === 'jsonl' ? jsonLines(content) : csvRows(content);
  const problems: FieldProblem[] = [];
  const items: Array<LabelledQueryInput & { line: number }> = [];
  const firstLine = new Map<string, number>();
  for (const { line, value, problem } of rows) {
    const found = problem ?? labelledQueryProblem(value ?? {});
    if (found) {
      problems.push({ field: 'content', problem: `line ${line}: ${found}` });
      continue;
    }
    const item = { ...normalised(value!), line };
    const earlier = firstLine.get(item.query);
    if (earlier !== undefined) problems.push({ field: 'content', problem: `line ${line}: the same query as line ${earlier}` });
    else {
      firstLine.set(item.query, line);
      items.push(item);
    }
  }
  if (items.length + problems.length === 0) problems.push({ field: 'content', problem: 'holds no labelled query' });
  if (items.length + problems.length > MAX_IMPORT_LINES)
    problems.push({ field: 'content', problem: `more than ${MAX_IMPORT_LINES} labelled queries` });
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    if (problems.length > shown.length) shown.push({ field: 'content', problem: `and ${problems.length - shown.length} more problems` });
    throw invalidFields(shown);
  }
  return items;
}

interface Row {
  line: number;
  value?: { query?: unknown; relevantPairIds?: unknown; category?: unknown };
  problem?: string;
}

function jsonLines(content: string): Row[] {
  const rows: Row[] = [];
  content.split(/\r?\n/).forEach((text, index) => {
    if (!text.trim()) return;
    const line = index + 1;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) rows.push({ line, problem: 'must be a JSON object' });
      else rows.push({ line, value: value as Row['value'] });
    } catch {
      rows.push({ line, problem: 'is not valid JSON' });
    }
  });
  return rows;
}

function csvRows(content: string): Row[] {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(content, { columns: true, info: true, skip_empty_lines: true, trim: true, bom: true }) as typeof records;
  } catch (error) {
    const e = error as { lines?: number; message?: string };
    return [{ line: e.lines ?? 1, problem: `is not valid CSV (${String(e.message ?? error).replace(/^Invalid Record Length: /, '')})` }];
  }
  const header = records[0]?.info ? Object.keys(records[0].record) : [];
  const missing = ['query', 'relevant_pair_ids'].filter((column) => records.length > 0 && !header.includes(column));
  if (missing.length > 0)
    return [{ line: 1, problem: `the header must name the columns query and relevant_pair_ids (missing: ${missing.join(', ')})` }];
  return records.map(({ record, info }) => ({
    line: info.lines,
    value: {
      query: record.query,
      relevantPairIds: (record.relevant_pair_ids ?? '').split(/[|;\s]+/).filter(Boolean),
      category: record.category ? record.category : undefined,
    },
  }));
}

function normalised(value: NonNullable<Row['value']>): LabelledQueryInput {
  const category = typeof value.category === 'string' ? value.category.trim() : undefined;
  return {
    query: (value.query as string).trim(),
    relevantPairIds: [...new Set((value.relevantPairIds as string[]).map((id) => id.toLowerCase()))],
    category: category || undefined,
  };
}
