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

/** Deeper JSON than any DTO of ours takes; recursive validators would overflow the stack on it. */
const MAX_DEPTH = 32;

/**
 * The JSON body parser, a nesting-depth check, and a handler that answers their errors
 * (bad JSON, too large, too deep) in the API's error shape before Nest turns them into
 * bare messages or a stack overflow.
 */
export function jsonBody(limitMb: number): Array<RequestHandler | ((error: unknown, req: Request, res: Response, next: NextFunction) => void)> {
  const parser = express.json({ limit: `${limitMb}mb` });
  const depthCheck: RequestHandler = (request, response, next) => {
    if (depthExceeds(request.body, MAX_DEPTH)) return sendProblem(request, response, 400, `nested deeper than ${MAX_DEPTH} levels`);
    next();
  };
  const onError = (error: unknown, request: Request, response: Response, next: NextFunction) => {
    const e = error as { type?: string; status?: number };
    if (!e?.type || !BODY_PROBLEMS[e.type] || typeof e.status !== 'number') return next(error);
    const problem = e.type === 'entity.too.large' ? `${BODY_PROBLEMS[e.type]} (limit ${limitMb} MB)` : BODY_PROBLEMS[e.type];
    sendProblem(request, response, e.status, problem);
  };
  return [parser, depthCheck, onError];
}

function sendProblem(request: Request, response: Response, status: number, problem: string): void {
  response.status(status).json({
    statusCode: status,
    error: status === 413 ? 'Payload Too Large' : 'Bad Request',
    message: `body: ${problem}`,
    details: [{ field: 'body', problem }],
    requestId: String((request as { id?: unknown }).id ?? ''),
  });
}

/** Iterative, so the check itself cannot overflow. */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
