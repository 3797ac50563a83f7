import type { FakeOpenAIConfig, FakeOpenAIConfigPatch } from './config';
import type { FakeOpenAIStats } from './stats';

/**
 * Drives a fake running in another process through its HTTP control API; the same
 * methods as the in-process fake, asynchronous.
 */
export class FakeOpenAIControl {
  private readonly controlURL: string;

  /** `url`: the fake's origin or its baseURL (`…/v1`). */
  constructor(url: string) {
    this.controlURL = `${url.replace(/\/+$/, '').replace(/\/v1$/, '')}/_control`;
  }

  configure(patch: FakeOpenAIConfigPatch): Promise<FakeOpenAIConfig> {
    return this.call('POST', '', patch);
  }

  config(): Promise<FakeOpenAIConfig> {
    return this.call('GET', '');
  }

  stats(): Promise<FakeOpenAIStats> {
    return this.call('GET', '/stats');
  }

  reset(): Promise<FakeOpenAIConfig> {
    return this.call('POST', '/reset');
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.controlURL}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = (await response.json()) as T & { error?: { message?: string } };
    if (!response.ok) {
      throw new Error(`fake-openai control ${method} ${path || '/'} answered ${response.status}: ${payload.error?.message ?? 'no message'}`);
    }
    return payload;
  }
}
