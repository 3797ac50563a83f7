import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ApiKeys } from './common/auth/api-keys';
import { authenticateBeforeBody } from './common/auth/authenticate-before-body';
import { jsonBody } from './common/json-body';
import { createValidationPipe } from './common/validation.pipe';
import { type AppConfig, hasRole } from './config/app-config';
import { EmbeddingModelsService } from './embeddings/embedding-models.service';
import { traceHttpRequests } from './tracing/http-tracing';
import { tracingEnabled } from './tracing/spans';

export const API_PREFIX = 'api/v1';
/** Routes that live outside /api/v1. */
const UNPREFIXED = ['health', 'metrics', 'console', 'console/{*path}', 'dashboard', 'dashboard/{*path}', 'admin/queues', 'admin/queues/{*path}'];

/**
 * Builds the service for a process: an HTTP app when the roles include `api`, otherwise
 * an application context (workers, schedulers). main.ts, the tests and the benchmarks
 * all start it through here.
 */
export async function createApp(config: AppConfig): Promise<INestApplication | INestApplicationContext> {
  const module = AppModule.forRoot(config);
  if (!hasRole(config, 'api')) {
    const context = await NestFactory.createApplicationContext(module, { bufferLogs: true });
    context.useLogger(context.get(Logger));
    await context.get(EmbeddingModelsService).ensureActiveModel();
    await context.init();
    return context;
  }
  const app = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  // The request's server span, when tracing is on, wraps everything after it (refusals included).
  if (tracingEnabled()) app.use(traceHttpRequests());
  // Authentication comes first: no body is read for a caller without a valid key.
  app.use(authenticateBeforeBody(app.get(ApiKeys)));
  app.use(...jsonBody(config.http.bodyLimitMb));
  app.disable('x-powered-by');
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  app.useGlobalPipes(createValidationPipe());
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApiConfig()), {
    jsonDocumentUrl: 'docs-json',
  });
  await app.get(EmbeddingModelsService).ensureActiveModel();
  await app.init();
  return app;
}

function openApiConfig() {
  return (
    new DocumentBuilder()
      .setTitle('Embedding service')
      .setDescription(
        'QA pairs embedded with OpenAI into pgvector: search, background queue, circuit breaker, comparison tools, cost analytics and model migration. ' +
          'Every endpoint but /health, /docs and the console page (/console) needs an API key (header `x-api-key` or `Authorization: Bearer`); admin actions need an admin key.',
      )
      .setVersion('1')
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      // Relative: the paths are served by whatever host and port answered /docs-json.
      .addServer('/')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .build()
  );
}
