import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { NonBlankText } from '../../common/non-blank-text';
import { MAX_CATEGORY_CHARS, MAX_QUERY_CHARS, MAX_RELEVANT_PAIRS } from '../labelled-query-import';

/** Import files are sent as JSON strings; the body limit (JSON_BODY_LIMIT_MB) bounds them too. */
export const MAX_IMPORT_CHARS = 20_000_000;

export class CreateLabelledQueryDto {
  @ApiProperty({ example: 'how can I change my password', maxLength: MAX_QUERY_CHARS })
  @NonBlankText(MAX_QUERY_CHARS)
  query!: string;

  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_RELEVANT_PAIRS, description: 'The QA pairs that answer it' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RELEVANT_PAIRS)
  @IsUUID('all', { each: true })
  relevantPairIds!: string[];

  @ApiPropertyOptional({
    example: 'account',
    maxLength: MAX_CATEGORY_CHARS,
    description: "Groups the query's scores; default: its first answer's category",
  })
  @IsOptional()
  @NonBlankText(MAX_CATEGORY_CHARS)
  category?: string;
}

export class ImportLabelledQueriesDto {
  @ApiProperty({ enum: ['csv', 'jsonl'] })
  @IsIn(['csv', 'jsonl'])
  format!: 'csv' | 'jsonl';

  @ApiProperty({
    maxLength: MAX_IMPORT_CHARS,
    example: 'query,relevant_pair_ids,category\n"how can I change my password",3f0e4b8e-2f1c-4f7a-9a51-0c6f4f1b2d11,account\n',
    description:
      'The file. jsonl: one `{"query", "relevantPairIds": [...], "category"?}` per line. csv: a header `query,relevant_pair_ids[,category]`, ids separated by `|`, `;` or spaces. ' +
      'All or nothing: a bad line answers 400 naming it. A query already labelled gets the new answers.',
  })
  @IsString()
  @MaxLength(MAX_IMPORT_CHARS)
  content!: string;
}

export class LabelledQueryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() query!: string;
  @ApiProperty({ nullable: true, type: String, description: "null: scored under its first answer's category" }) category!: string | null;
  @ApiProperty({ type: [String], format: 'uuid' }) relevantPairIds!: string[];
  @ApiProperty() createdAt!: Date;
}

export class LabelledQueryPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [LabelledQueryDto] }) items!: LabelledQueryDto[];
}

export class ImportResultDto {
  @ApiProperty({ example: 120, description: 'Labelled queries added or updated' }) imported!: number;
}

export class CapturedQueryDto {
  @ApiProperty() id!: string;
  @ApiProperty() query!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The category filter of the search' }) category!: string | null;
  @ApiProperty() capturedAt!: Date;
}

export class CapturedQueryPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [CapturedQueryDto] }) items!: CapturedQueryDto[];
}

export class DeletedCountDto {
  @ApiProperty() deleted!: number;
}

export class EvaluateModelDto {
  @ApiProperty({ example: 'text-embedding-3-large', description: 'Any registered model; its embeddings are searched through its own index' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  model!: string;
}

export class EvaluationEstimateDto {
  @ApiProperty() model!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The active model captured queries are compared with; null when evaluating the active model',
  })
  baselineModel!: string | null;
  @ApiProperty() labelledQueries!: number;
  @ApiProperty() capturedQueries!: number;
  @ApiProperty({ description: 'Query tokens to embed (cl100k, counted locally)' }) tokens!: number;
  @ApiProperty({ example: '0.000120', description: "At the model's price in force, exact decimal" }) costUsd!: string;
  @ApiProperty({ type: [String] }) warnings!: string[];
}

export class RetrievalScoresDto {
  @ApiProperty() queries!: number;
  @ApiProperty({ name: 'recall@1' }) 'recall@1'!: number;
  @ApiProperty({ name: 'recall@5' }) 'recall@5'!: number;
  @ApiProperty({ name: 'recall@10' }) 'recall@10'!: number;
  @ApiProperty({ name: 'mrr@10' }) 'mrr@10'!: number;
  @ApiProperty({ name: 'ndcg@10' }) 'ndcg@10'!: number;
}

export class AgreementScoresDto {
  @ApiProperty() queries!: number;
  @ApiProperty({ description: "Share of the baseline's top 10 also in this model's top 10" }) overlapAt10!: number;
  @ApiProperty({ description: 'Rank-biased overlap (p = 0.9) of the two top 10s: agreement at the top weighs most' }) rankBiasedOverlap!: number;
}

@ApiExtraModels(RetrievalScoresDto)
export class LabelledResultsDto {
  @ApiProperty({ type: RetrievalScoresDto }) overall!: RetrievalScoresDto;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(RetrievalScoresDto) }, description: 'Per category' })
  byCategory!: Record<string, RetrievalScoresDto>;
}

@ApiExtraModels(AgreementScoresDto)
export class CapturedResultsDto {
  @ApiProperty({ type: AgreementScoresDto }) overall!: AgreementScoresDto;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(AgreementScoresDto) }, description: 'Per category filter' })
  byCategory!: Record<string, AgreementScoresDto>;
}

export class EvaluationResultsDto {
  @ApiProperty({ type: LabelledResultsDto, nullable: true, description: 'Labelled queries: recall@1/5/10, MRR@10, nDCG@10' })
  labelled!: LabelledResultsDto | null;
  @ApiProperty({ type: CapturedResultsDto, nullable: true, description: "Captured queries: agreement with the active model's answers" })
  captured!: CapturedResultsDto | null;
  @ApiProperty({ description: 'Query tokens embedded (ledger purpose `evaluation`)' }) tokens!: number;
  @ApiProperty() durationMs!: number;
}

export class EvaluationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() model!: string;
  @ApiProperty({ nullable: true, type: String }) baselineModel!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The migration whose gate ran it' }) migrationId!: string | null;
  @ApiProperty({ enum: ['running', 'completed', 'failed', 'interrupted'] }) status!: string;
  @ApiProperty() labelledQueries!: number;
  @ApiProperty() capturedQueries!: number;
  @ApiProperty({ description: '0–1' }) progress!: number;
  @ApiProperty({ type: EvaluationResultsDto, nullable: true }) results!: EvaluationResultsDto | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) finishedAt!: Date | null;
}

export class EvaluationPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [EvaluationDto] }) items!: EvaluationDto[];
}
