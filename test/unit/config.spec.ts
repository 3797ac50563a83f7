import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { envSchema } from '../../src/config/config.schema';

const base = { API_KEYS: 'k' };

describe('loadConfig', () => {
  it('gives a typed config with defaults', () => {
    const config = loadConfig(base);
    expect(config.roles).toEqual(['api', 'worker', 'scheduler']);
    expect(config.http.port).toBe(3000);
    expect(config.queue.maxAttempts).toBe(3);
    expect(config.openai.apiKey).toBeUndefined();
  });

  it('names every missing or malformed variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ROLE: 'api,cook', QUEUE_MAX_ATTEMPTS: '0' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT: must be a whole number/);
    expect(message).toMatch(/DATABASE_URL: must be a URL starting with postgres:/);
    expect(message).toMatch(/ROLE: must be all, or a comma list/);
    expect(message).toMatch(/QUEUE_MAX_ATTEMPTS: must be at least 1/);
  });

  it('refuses the api role without any API key, but a worker needs none', () => {
    expect(() => loadConfig({})).toThrow(/API_KEYS: the api role needs at least one key/);
    expect(loadConfig({ ROLE: 'worker' }).roles).toEqual(['worker']);
  });

  it('parses lists and booleans', () => {
    const config = loadConfig({ API_KEYS: ' a, b ,,', METRICS_PUBLIC: 'true', ROLE: 'api,worker' });
    expect(config.auth.apiKeys).toEqual(['a', 'b']);
    expect(config.auth.metricsPublic).toBe(true);
    expect(config.roles).toEqual(['api', 'worker']);
    expect(() => loadConfig({ ...base, METRICS_PUBLIC: 'maybe' })).toThrow(/METRICS_PUBLIC: must be true or false/);
  });

  it('documents every variable in .env.example, and nothing else', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(envSchema.shape).sort());
  });
});
