import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { checkedInt } from '../embeddings/vector-sql';

export interface LexicalHit {
  id: string;
  question: string;
  answer: string;
  category: string;
  /** `ts_rank_cd` of the pair for the query (question weighted above answer); pairs with every query word come first. */
  rank: number;
}

/** Every query word (websearch syntax: quotes for phrases, - to exclude), or any of them. */
const ALL_WORDS = `websearch_to_tsquery($1::regconfig, $2)`;
const ANY_WORD = `(SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery
                   FROM unnest(tsvector_to_array(to_tsvector($1::regconfig, $2))) AS lexeme)`;

/**
 * PostgreSQL full-text search over question and answer (`qa_pairs.search_document`, GIN).
 * Pairs holding every query word come first; when they are fewer than asked, pairs holding
 * any of them fill the rest, so a natural-language question still finds pairs that share
 * some of its words. Ranking reads each candidate's document, so at most
 * `SEARCH_LEXICAL_MAX_CANDIDATES` matches are ranked per step: a word found in most of the
 * knowledge base cannot turn one search into a scan of it.
 */
@Injectable()
export class LexicalSearch {
  private textConfig?: Promise<string>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async search(query: string, limit: number, category?: string): Promise<LexicalHit[]> {
    const config = await this.configuration();
    const allWords = await this.ranked(ALL_WORDS, [config, query], limit, category, []);
    if (allWords.length >= limit) return allWords;
    const anyWord = await this.ranked(
      ANY_WORD,
      [config, query],
      limit - allWords.length,
      category,
      allWords.map((hit) => hit.id),
    );
    return [...allWords, ...anyWord];
  }

  private async ranked(
    tsquery: string,
    params: [string, string],
    limit: number,
    category: string | undefined,
    exclude: string[],
  ): Promise<LexicalHit[]> {
    const rows: Array<LexicalHit & { rank: string | number }> = await this.db.query(
      `WITH terms AS (SELECT ${tsquery} AS query),
       candidates AS (
         SELECT q.id, q.question, q.answer, q.category, q.search_document
         FROM qa_pairs q, terms
         WHERE terms.query IS NOT NULL AND q.search_document @@ terms.query
           AND NOT (q.id = ANY($4::uuid[])) ${category ? 'AND q.category = $5' : ''}
         LIMIT ${checkedInt(this.config.search.lexicalMaxCandidates)}
       )
       SELECT c.id, c.question, c.answer, c.category, ts_rank_cd(c.search_document, terms.query) AS rank
       FROM candidates c, terms
       ORDER BY rank DESC, c.id
       LIMIT $3`,
      category ? [...params, limit, exclude, category] : [...params, limit, exclude],
    );
    return rows.map((row) => ({ ...row, rank: Number(row.rank) }));
  }

  /** The configuration the index was built with (fixed by its migration), read once. */
  private configuration(): Promise<string> {
    this.textConfig ??= this.db
      .query(`SELECT text_config FROM lexical_search_settings`)
      .then((rows: Array<{ text_config: string }>) => rows[0]?.text_config ?? 'simple')
      .catch((error: unknown) => {
        this.textConfig = undefined;
        throw error;
      });
    return this.textConfig;
  }
}
