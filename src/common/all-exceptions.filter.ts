import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import type { ErrorResponseDto, FieldProblemDto } from './error-response.dto';
import { DEPENDENCY_RETRY_MS, isDependencyDown } from './dependency-errors';
import { DomainError, httpStatusOf } from './errors';

/** PostgreSQL errors caused by the request's data, not by us (class 22: data exception). */
const CLIENT_DATA_ERRORS: Record<string, string> = {
  '22001': 'a value is too long',
  '22003': 'a number is out of range',
  '22007': 'a date or time is malformed',
  '22008': 'a date or time is out of range',
  '22021': 'text contains a character PostgreSQL cannot store (NUL)',
  '22P02': 'a value has the wrong format',
  '22P05': 'text contains an untranslatable character',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Turns every error into the one error shape; never leaks internals of a 500. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string }>();
    const response = http.getResponse<Response>();
    const dependencyDown = isDependencyDown(exception);
    const { status, message, details, context } = this.describe(exception, dependencyDown);
    if (status >= 500) {
      this.logger.error({ err: exception, path: request.path }, 'request failed');
    }
    const retryAfterMs = exception instanceof DomainError ? exception.retryAfterMs : dependencyDown ? DEPENDENCY_RETRY_MS : undefined;
    if (retryAfterMs !== undefined) response.setHeader('Retry-After', Math.max(1, Math.ceil(retryAfterMs / 1000)).toString());
    const body: ErrorResponseDto = {
      statusCode: status,
      error: STATUS_TEXT[status] ?? 'Error',
      message,
      ...(details ? { details } : {}),
      ...(context ? { context } : {}),
      requestId: String(request.id ?? ''),
    };
    response.status(status).json(body);
  }

  private describe(
    exception: unknown,
    dependencyDown: boolean,
  ): {
    status: number;
    message: string;
    details?: FieldProblemDto[];
    context?: Record<string, unknown>;
  } {
    if (exception instanceof DomainError) {
      return { status: httpStatusOf(exception.code), message: exception.message, details: exception.details, context: exception.context };
    }
    // The framework's own (unknown route, body too large, guards): already an HTTP answer.
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      if (typeof payload === 'string') return { status, message: payload };
      const p = payload as { message?: unknown; details?: FieldProblemDto[]; context?: Record<string, unknown> };
      const message = Array.isArray(p.message) ? p.message.join('; ') : String(p.message ?? exception.message);
      return { status, message, details: p.details, context: p.context };
    }
    if (exception instanceof QueryFailedError) {
      const code = (exception.driverError as { code?: string } | undefined)?.code ?? '';
      if (CLIENT_DATA_ERRORS[code]) {
        return { status: HttpStatus.BAD_REQUEST, message: `invalid input: ${CLIENT_DATA_ERRORS[code]}` };
      }
    }
    if (dependencyDown) {
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'PostgreSQL or Redis is unreachable; try again shortly' };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'internal error' };
  }
}
