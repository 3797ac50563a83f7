import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';

/** A redis-server of the test's own, on a free port, so it can be flushed or killed without touching anyone else's. */
export interface PrivateRedis {
  url: string;
  client: Redis;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  // Retries every 50 ms until the server listens; the first command waits for that.
  const client = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  await client.ping();
  return {
    url,
    client,
    stop: async () => {
      client.disconnect();
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
