import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FakeOpenAIControl } from './control-client';
import { baseURLFromLine } from './listening-line';

export interface SpawnFakeOpenAIOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  apiKeys?: readonly string[];
  /** The compiled entry point; by default main.js beside this file (dist/tools/fake-openai/main.js). */
  entry?: string;
  /** How long to wait for the server to listen (default 10 s). */
  startTimeoutMs?: number;
}

export interface SpawnedFakeOpenAI {
  /** What the SDK's `baseURL` takes. */
  readonly baseURL: string;
  readonly control: FakeOpenAIControl;
  readonly pid: number;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/**
 * Runs the fake in its own Node process (same binary as this one), so a benchmark's
 * measurements do not share an event loop with it. Resolves once it listens.
 */
export async function spawnFakeOpenAI(options: SpawnFakeOpenAIOptions = {}): Promise<SpawnedFakeOpenAI> {
  const entry = options.entry ?? join(__dirname, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: build first (npm run build) or pass \`entry\``);
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      FAKE_OPENAI_PORT: String(options.port ?? 0),
      FAKE_OPENAI_HOST: options.host ?? '127.0.0.1',
      FAKE_OPENAI_API_KEYS: (options.apiKeys ?? []).join(','),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const baseURL = await waitUntilListening(child, options.startTimeoutMs ?? 10_000);
    return { baseURL, control: new FakeOpenAIControl(baseURL), pid: child.pid as number, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

function waitUntilListening(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine);
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`fake-openai did not listen within ${timeoutMs} ms`))), timeoutMs);
    const onExit = (code: number | null, signal: string | null) =>
      settle(() => reject(new Error(`fake-openai exited before listening (code ${code}, signal ${signal})`)));
    const onLine = (line: string) => {
      const baseURL = baseURLFromLine(line);
      if (baseURL !== null) settle(() => resolve(baseURL));
    };
    child.once('exit', onExit);
    lines.on('line', onLine);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}
