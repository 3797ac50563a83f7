import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

// eslint-disable-next-line no-control-regex -- matching NUL is the point: PostgreSQL text cannot hold it
const NO_NUL = /^[^\u0000]*$/;
const NOT_BLANK = /\S/;

/** A text field of a request: a string, not blank, at most `maxLength` characters, no NUL. */
export const NonBlankText = (maxLength: number) =>
  applyDecorators(
    IsString(),
    IsNotEmpty(),
    MaxLength(maxLength),
    Matches(NOT_BLANK, { message: 'must not be blank' }),
    Matches(NO_NUL, { message: 'must not contain NUL characters' }),
  );
