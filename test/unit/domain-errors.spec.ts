import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import { AllExceptionsFilter } from '../../src/common/all-exceptions.filter';
import { badRequest, conflict, DomainError, type DomainErrorCode, httpStatusOf, notFound, unavailable } from '../../src/common/errors';

/** What the filter wrote: status, headers and JSON body. */
function answer(exception: unknown): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const written = { status: 0, headers: {} as Record<string, string>, body: {} as Record<string, unknown> };
  const response = {
    setHeader: (name: string, value: string) => void (written.headers[name] = value),
    status(code: number) {
      written.status = code;
      return this;
    },
    json: (body: Record<string, unknown>) => void (written.body = body),
  };
  const host = { switchToHttp: () => ({ getRequest: () => ({ id: 'r1', path: '/x' }), getResponse: () => response }) } as unknown as ArgumentsHost;
  new AllExceptionsFilter().catch(exception, host);
  return written;
}

describe('domain errors at the HTTP edge', () => {
  const codes: Record<DomainErrorCode, number> = {
    invalid_input: 400,
    not_found: 404,
    conflict: 409,
    precondition_failed: 412,
    forbidden: 403,
    too_many_requests: 429,
    unavailable: 503,
    provider_rejected: 502,
  };

  it('maps every code to its status', () => {
    for (const [code, status] of Object.entries(codes)) expect([code, httpStatusOf(code as DomainErrorCode)]).toEqual([code, status]);
  });

  it('answers in the one error shape, with the fields named and the context kept', () => {
    expect(answer(badRequest('question', 'must not be empty'))).toMatchObject({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: 'question: must not be empty',
        details: [{ field: 'question', problem: 'must not be empty' }],
        requestId: 'r1',
      },
    });
    expect(answer(notFound('QA pair', 'abc'))).toMatchObject({ status: 404, body: { message: 'QA pair abc not found' } });
    expect(answer(conflict('already running', { migrationId: 'm1' }))).toMatchObject({ status: 409, body: { context: { migrationId: 'm1' } } });
  });

  it('gives an unavailable dependency a 503 with Retry-After in whole seconds', () => {
    expect(answer(unavailable('the provider is down', 1_200))).toMatchObject({ status: 503, headers: { 'Retry-After': '2' } });
  });

  it('keeps the framework’s own HTTP errors and hides anything else behind a 500', () => {
    expect(answer(new NotFoundException('Cannot GET /nope'))).toMatchObject({ status: 404 });
    const internal = answer(new Error('secret internal detail at 10.0.0.5'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal.body)).not.toContain('10.0.0.5');
  });

  it('is an Error with its code, so non-HTTP callers can tell a missing thing from a failure', () => {
    const error = notFound('embedding model', 'x');
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('not_found');
  });
});
