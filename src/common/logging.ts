import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * JSON logs with a request id on every line (taken from `x-request-id` when it is sane,
 * echoed back), and every place a secret could appear redacted.
 */
export function loggerParams(config: AppConfig): Params {
  return {
    // Every route, prefixed or not (nestjs-pino's default '*' is legacy syntax in Nest 11).
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        response.setHeader('x-request-id', id);
        return id;
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.apiKey',
          '*.OPENAI_API_KEY',
          '*.API_KEYS',
          '*.ADMIN_API_KEYS',
        ],
        censor: '[redacted]',
      },
      autoLogging: { ignore: (request: IncomingMessage) => request.url === '/health' || request.url === '/metrics' },
      customLogLevel: (_request: IncomingMessage, response: ServerResponse, error?: Error) =>
        error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}
