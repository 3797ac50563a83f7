/**
 * The form a search query is embedded, cached and matched in: Unicode NFKC, whitespace
 * runs collapsed, trimmed. Case is kept: embedding models tell "US" from "us".
 */
export function normalizeQuery(query: string): string {
  return query.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}
