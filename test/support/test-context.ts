import type { DataSource } from 'typeorm';
import type { FakeOpenAI } from '../../tools/fake-openai';
import { fakeProviderEnv, startFakeProvider } from './fake-provider';
import { type ServiceProcess, startServiceProcess } from './service-process';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment } from './test-app';

/** What a test file gets from useTestApp(), filled in by its beforeAll. */
export interface TestContext {
  /** The fake OpenAI server (absent with `provider: 'offline'`). */
  fake: FakeOpenAI;
  environment: TestEnvironment;
  app: TestApp;
  /** A direct connection to the app's database, for assertions on rows. */
  db: DataSource;
  /**
   * Starts the service in a child process on the same settings (the environment's env and
   * the overrides); afterAll SIGKILLs every such child before the rest of the teardown.
   */
  startProcess(overrides?: Record<string, string>): Promise<ServiceProcess>;
}

export interface TestAppOptions {
  /** 'fake' (default): the OpenAI SDK against the fake, text-embedding-3-small active; 'offline': no key. */
  provider?: 'fake' | 'offline';
  /**
   * Environment overrides for the app (after the defaults and the provider's). A function
   * is called in beforeAll, after the file's own earlier beforeAll hooks (a private Redis, say).
   */
  env?: Record<string, string> | (() => Record<string, string>);
}

/**
 * Registers beforeAll/afterAll that start a fake provider, a database and Redis prefix of
 * the file's own and the service, and tear them all down (child services from
 * `startProcess` first). `t.app` may be replaced (an app restarted): teardown closes the current one.
 */
export function useTestApp(options: TestAppOptions = {}): TestContext {
  const processes: ServiceProcess[] = [];
  const context = {
    startProcess: async (overrides: Record<string, string> = { ROLE: 'worker' }) => {
      const child = await startServiceProcess({ ...context.environment.env, ...overrides });
      processes.push(child);
      return child;
    },
  } as TestContext;
  beforeAll(async () => {
    if (options.provider !== 'offline') context.fake = await startFakeProvider();
    const providerEnv = context.fake ? fakeProviderEnv(context.fake) : {};
    const overrides = typeof options.env === 'function' ? options.env() : options.env;
    context.environment = await createTestEnvironment({ ...providerEnv, ...overrides });
    context.app = await TestApp.start(context.environment);
    context.db = await openDatabase(context.environment.databaseUrl);
  });
  afterAll(async () => {
    for (const child of processes) await child.kill();
    await context.db?.destroy();
    await context.app?.close();
    await context.fake?.close();
    if (context.environment) await destroyTestEnvironment(context.environment);
  });
  return context;
}

/** `SELECT count(*) …` as a number. */
export async function countRows(db: DataSource, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query(sql, params);
  return Number(Object.values(row)[0]);
}
