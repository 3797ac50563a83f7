import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The service running in a child process from the sources (no build needed), as a deployment would run it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** SIGKILL: the process dies at once, mid-work. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<number | null>;
}

export async function startServiceProcess(env: Record<string, string>, startTimeoutMs = 60_000): Promise<ServiceProcess> {
  const child = spawn(join(ROOT, 'node_modules/.bin/node'), ['-r', join(ROOT, 'test/support/register-swc.js'), join(ROOT, 'src/main.ts')], {
    // Not the repo root: a developer's .env must not leak into the test's settings.
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start in ${startTimeoutMs} ms:\n${output.slice(-4000)}`)), startTimeoutMs);
    const onData = () => {
      if (output.includes('embedding service started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before starting:\n${output.slice(-4000)}`));
    });
  });
  return {
    child,
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
