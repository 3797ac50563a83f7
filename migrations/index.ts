import { InitialSchema1764600000000 } from './1764600000000-initial-schema';
import { CostAnalytics1764600000300 } from './1764600000300-cost-analytics';
import { ModelMigrations1764600000400 } from './1764600000400-model-migrations';
import { Compare1764600000500 } from './1764600000500-compare';

/**
 * Every schema migration, in order. Listed by hand (not globbed) so the app, the CLI,
 * the tests and the compiled build all run exactly the same set.
 */
export const MIGRATIONS: Function[] = [InitialSchema1764600000000, CostAnalytics1764600000300, ModelMigrations1764600000400, Compare1764600000500];
