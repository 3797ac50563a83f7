import { type FakeOpenAI, startFakeOpenAI } from '../../tools/fake-openai';

export const FAKE_OPENAI_KEY = 'sk-test-fake-openai';

/** Starts the project's OpenAI-compatible fake on a random loopback port. */
export async function startFakeProvider(): Promise<FakeOpenAI> {
  return startFakeOpenAI({ apiKeys: [FAKE_OPENAI_KEY] });
}

/** App settings that point the real OpenAI SDK at the fake, with text-embedding-3-small active. */
export function fakeProviderEnv(fake: Pick<FakeOpenAI, 'baseURL'>, model = 'text-embedding-3-small'): Record<string, string> {
  return {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_TIMEOUT_MS: '5000',
    EMBEDDING_MODEL: model,
  };
}
