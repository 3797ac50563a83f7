import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** An optional embedding model name in a comparison request; absent means the active model. */
export function OptionalModelName(): PropertyDecorator {
  // applyDecorators applies in list order, stacked decorators bottom-up: listed bottom-up so
  // class-validator reports several violations in the same order as the stacked form.
  return applyDecorators(
    MaxLength(100),
    IsNotEmpty(),
    IsString(),
    IsOptional(),
    ApiPropertyOptional({ example: 'text-embedding-3-small', description: 'Embedding model name; default: the active model' }),
  );
}
