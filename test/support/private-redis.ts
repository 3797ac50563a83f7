import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';

/** A redis-server of the test's own, on a free port, so it can be flushed, killed or restarted without touching anyone else's. */
export interface PrivateRedis {
  url: string;
  client: Redis;
  /** SIGKILL; without persistence everything in it is gone. */
  kill(): Promise<void>;
  /** A new, empty server on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
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
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  // Retries every 50 ms until the server listens; commands wait for that.
  const client = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null, lazyConnect: true });
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    if (client.status === 'wait') await client.connect().catch(() => undefined);
    await client.ping();
  };
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    client,
    kill,
    start,
    stop: async () => {
      client.disconnect();
      await kill();
    },
  };
}
