import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** An optional embedding model name in a comparison request; absent means the active model. */
export function OptionalModelName(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ example: 'text-embedding-3-small', description: 'Embedding model name; default: the active model' }),
    IsOptional(),
    IsString(),
    IsNotEmpty(),
    MaxLength(100),
  );
}
