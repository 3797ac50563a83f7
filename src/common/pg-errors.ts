import { QueryFailedError } from 'typeorm';

/** SQLSTATE of a unique index refusing a row. */
export const UNIQUE_VIOLATION = '23505';
/** SQLSTATE of a refused parameter value, e.g. a time zone name PostgreSQL does not know. */
export const INVALID_PARAMETER_VALUE = '22023';

/** The SQLSTATE of a failed query, or undefined for any other error. */
export function pgErrorCode(error: unknown): string | undefined {
  return error instanceof QueryFailedError ? (error.driverError as { code?: string } | undefined)?.code : undefined;
}
