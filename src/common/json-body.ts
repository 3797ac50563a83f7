import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** body-parser's error types, as the one error shape words them. */
const BODY_PROBLEMS: Record<string, string> = {
  'entity.parse.failed': 'malformed JSON',
  'entity.too.large': 'request body is too large',
  'encoding.unsupported': 'unsupported content encoding',
  'charset.unsupported': 'unsupported charset',
  'request.aborted': 'request aborted',
  'request.size.invalid': 'request size did not match content length',
};

/**
 * The JSON body parser and, right behind it, a handler that answers its errors (bad JSON,
 * too large) in the API's error shape before Nest turns them into bare messages.
 */
export function jsonBody(limitMb: number): [RequestHandler, (error: unknown, req: Request, res: Response, next: NextFunction) => void] {
  const parser = express.json({ limit: `${limitMb}mb` });
  const onError = (error: unknown, request: Request, response: Response, next: NextFunction) => {
    const e = error as { type?: string; status?: number };
    if (!e?.type || !BODY_PROBLEMS[e.type] || typeof e.status !== 'number') return next(error);
    const problem = e.type === 'entity.too.large' ? `${BODY_PROBLEMS[e.type]} (limit ${limitMb} MB)` : BODY_PROBLEMS[e.type];
    response.status(e.status).json({
      statusCode: e.status,
      error: e.status === 413 ? 'Payload Too Large' : 'Bad Request',
      message: `body: ${problem}`,
      details: [{ field: 'body', problem }],
      requestId: String((request as { id?: unknown }).id ?? ''),
    });
  };
  return [parser, onError];
}
