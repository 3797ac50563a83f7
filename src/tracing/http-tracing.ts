import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH, ATTR_URL_SCHEME } from './semconv';
import { TRACER_NAME } from './spans';

/** Probes and scrapes, polled every few seconds: not traced (nor logged, see common/logging.ts). */
const UNTRACED = new Set(['/health', '/metrics']);

/**
 * The server span of every HTTP request, as Express middleware installed first (so a
 * request refused before its body is read is traced too). It continues a trace the caller
 * sent (`traceparent`), and makes the span active for the rest of the request: the request
 * and response emitters are bound to its context, so the body parser's callbacks (which
 * run from socket events) do not lose it on the way to the controller.
 *
 * `/health` and `/metrics` are left out. Attributes: method, path (no query string),
 * scheme, route template and status. Never a header (API keys travel in `x-api-key` and
 * `Authorization`) and never the body.
 *
 * `@opentelemetry/instrumentation-http` would do this by patching `http` before Nest is
 * loaded; that needs a preload flag in production and does not work under Jest's module
 * loader, where the tests run the service. This is the part of it we need.
 */
export function traceHttpRequests(): RequestHandler {
  const tracer = trace.getTracer(TRACER_NAME);
  return (request: Request, response: Response, next: NextFunction) => {
    if (UNTRACED.has(request.path)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_PATH]: request.originalUrl.split('?', 1)[0],
          [ATTR_URL_SCHEME]: request.protocol,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    context.bind(active, request);
    context.bind(active, response);
    response.once('close', () => {
      // The matched route's template, once routing has run (Nest registers full paths, prefix included).
      const route = (request.route as { path?: unknown } | undefined)?.path;
      if (typeof route === 'string') {
        span.setAttribute(ATTR_HTTP_ROUTE, route);
        span.updateName(`${request.method} ${route}`);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(active, next);
  };
}
