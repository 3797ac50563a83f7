import { InitialSchema1764600000000 } from './1764600000000-initial-schema';

/**
 * Every schema migration, in order. Listed by hand (not globbed) so the app, the CLI,
 * the tests and the compiled build all run exactly the same set.
 */
export const MIGRATIONS: Function[] = [InitialSchema1764600000000];
