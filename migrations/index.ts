import type { MigrationInterface } from 'typeorm';
import { InitialSchema1764600000000 } from './1764600000000-initial-schema';
import { CostAnalytics1764600000300 } from './1764600000300-cost-analytics';
import { ModelMigrations1764600000400 } from './1764600000400-model-migrations';
import { Compare1764600000500 } from './1764600000500-compare';
import { IdempotencyKeys1765100000100 } from './1765100000100-idempotency-keys';
import { UnconfirmedSpend1765100000400 } from './1765100000400-unconfirmed-spend';
import { AlertsPerLimit1765100000410 } from './1765100000410-alerts-per-limit';
import { NearDuplicatePairIndexes1765100000500 } from './1765100000500-near-duplicate-pair-indexes';
import { LexicalSearch1765100000600 } from './1765100000600-lexical-search';
import { RetrievalEvaluation1765200000100 } from './1765200000100-retrieval-evaluation';
import { BatchLane1765200000200 } from './1765200000200-batch-lane';
import { NearDuplicateDismissals1765300000100 } from './1765300000100-near-duplicate-dismissals';
import { ProviderCallTraceId1765400000100 } from './1765400000100-provider-call-trace-id';

/**
 * Every schema migration, in order. Listed by hand (not globbed) so the app, the CLI,
 * the tests and the compiled build all run exactly the same set.
 */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1764600000000,
  CostAnalytics1764600000300,
  ModelMigrations1764600000400,
  Compare1764600000500,
  IdempotencyKeys1765100000100,
  UnconfirmedSpend1765100000400,
  AlertsPerLimit1765100000410,
  NearDuplicatePairIndexes1765100000500,
  LexicalSearch1765100000600,
  RetrievalEvaluation1765200000100,
  BatchLane1765200000200,
  NearDuplicateDismissals1765300000100,
  ProviderCallTraceId1765400000100,
];
