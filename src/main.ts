import 'reflect-metadata';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { Server } from 'node:http';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { loadDotEnv } from './config/dotenv';

/** One entry point for every role: ROLE=api | worker | scheduler | all (or a comma list). */
async function main(): Promise<void> {
  loadDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  if ('listen' in app) {
    await (app as INestApplication).listen(config.http.port, config.http.host);
  }
  process.stdout.write(
    JSON.stringify({ msg: 'embedding service started', roles: config.roles, port: 'listen' in app ? config.http.port : undefined }) + '\n',
  );
  stopGracefully(app);
}

/**
 * On SIGTERM/SIGINT: stop accepting HTTP requests and let those in flight finish, then
 * close the rest (workers drain their jobs before the queue and database connections go).
 */
function stopGracefully(app: INestApplication | INestApplicationContext): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(JSON.stringify({ msg: 'stopping', signal }) + '\n');
    if ('getHttpServer' in app) {
      const server = (app as INestApplication).getHttpServer() as Server;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

// Bull can reject internally while Redis reconnects (e.g. its forced bclient reconnect on
// close); log it rather than let one such rejection take the whole process down.
process.on('unhandledRejection', (reason: unknown) => {
  process.stderr.write(JSON.stringify({ level: 50, msg: 'unhandled rejection', err: reason instanceof Error ? reason.stack : String(reason) }) + '\n');
});

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
