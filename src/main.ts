import 'reflect-metadata';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { Server } from 'node:http';
import { createApp } from './bootstrap';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config';
import { loadDotEnv } from './config/dotenv';
import { EventStreams } from './model-migration/event-streams';
import { startTracing, type Tracing } from './tracing/tracing';

const IDLE_SWEEP_MS = 50;

/** One entry point for every role: ROLE=api | worker | scheduler | all (or a comma list). */
async function main(): Promise<void> {
  loadDotEnv();
  let config;
  let tracing: Tracing | undefined;
  try {
    config = loadConfig();
    // Before Nest boots, so the first request and the first job are traced (off unless OTEL_* configure it).
    tracing = await startTracing();
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
  stopGracefully(app, config, tracing);
}

/**
 * On SIGTERM/SIGINT: stop accepting HTTP requests and let those in flight finish (up to
 * HTTP_SHUTDOWN_GRACE_MS), then close the rest (workers drain their jobs before the queue
 * and database connections go), then flush the spans still buffered.
 */
function stopGracefully(app: INestApplication | INestApplicationContext, config: AppConfig, tracing: Tracing | undefined): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(JSON.stringify({ msg: 'stopping', signal }) + '\n');
    if ('getHttpServer' in app) await closeHttpServer(app as INestApplication, config.httpShutdownGraceMs);
    await app.close();
    // The spans of the work that just drained are exported before the process goes.
    await tracing?.shutdown().catch((error: unknown) => process.stderr.write(`tracing shutdown failed: ${String(error)}\n`));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * Stops accepting connections and ends the event streams, which would otherwise hold
 * `server.close()` open forever; requests in flight get `graceMs` to finish, then every
 * connection left is cut. Node closes only the keep-alive connections idle when `close()`
 * is called, so the ones that go idle later (a finished request, an ended stream) are swept.
 */
async function closeHttpServer(app: INestApplication, graceMs: number): Promise<void> {
  const server = app.getHttpServer() as Server;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  app.get(EventStreams, { strict: false }).endAll('the server is shutting down; reconnect');
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(cutOff);
}

// Bull can reject internally while Redis reconnects (e.g. its forced bclient reconnect on
// close); log it rather than let one such rejection take the whole process down.
process.on('unhandledRejection', (reason: unknown) => {
  process.stderr.write(
    JSON.stringify({ level: 50, msg: 'unhandled rejection', err: reason instanceof Error ? reason.stack : String(reason) }) + '\n',
  );
});

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
