import { listeningLine } from './listening-line';
import { startFakeOpenAI } from './server';

/**
 * `npm run fake-openai`: FAKE_OPENAI_PORT (default 8089, 0 = any free port),
 * FAKE_OPENAI_HOST (default 127.0.0.1), FAKE_OPENAI_API_KEYS (comma-separated; none = no auth).
 */
async function main(): Promise<void> {
  const port = Number(process.env.FAKE_OPENAI_PORT ?? 8089);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`FAKE_OPENAI_PORT must be a port number, not ${process.env.FAKE_OPENAI_PORT}`);
  const host = process.env.FAKE_OPENAI_HOST || '127.0.0.1';
  const apiKeys = (process.env.FAKE_OPENAI_API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);

  const fake = await startFakeOpenAI({ port, host, apiKeys });
  const auth = apiKeys.length > 0 ? `${apiKeys.length} API key(s)` : 'no auth';
  console.log(`${listeningLine(fake.baseURL)} (control: ${fake.url}/_control, ${auth})`);

  const stop = () => {
    fake.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('fake-openai did not close cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
