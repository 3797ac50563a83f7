import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../common/page.dto';
import type { NearDuplicatePair } from '../near-duplicates/near-duplicate-pairs';
import type { BackgroundNearDuplicates, InRequestNearDuplicates } from '../near-duplicates/near-duplicates.service';
import type { CompareRunOf } from '../runs/compare-runs';
import type { StoredCluster } from '../near-duplicates/scan-results';
import { CompareRunDto } from './compare-run.dto';
import { IncludeDismissedQuery } from './dismissal.dto';
import { OptionalModelName } from './model-name.property';

/**
 * Below 0.8 the LSH candidate sets approach all pairs of a topic and a near-duplicate list
 * stops being one (README "API").
 */
export const MIN_THRESHOLD = 0.8;
export const MAX_IN_REQUEST_LIMIT = 1_000;
export const MAX_SCAN_LIMIT = 1_000_000;

const THRESHOLD_DOC = {
  minimum: MIN_THRESHOLD,
  maximum: 1,
  default: 0.95,
  example: 0.95,
  description: 'Cosine similarity at or above which two pairs are near-duplicates',
};
const UUID_LISTS = { type: 'array', items: { type: 'array', items: { type: 'string', format: 'uuid' } } } as const;

class NearDuplicateSelectionDto {
  @ApiPropertyOptional(THRESHOLD_DOC)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(MIN_THRESHOLD)
  @Max(1)
  threshold?: number;

  @ApiPropertyOptional({ example: 'billing', description: 'Only pairs whose both QA pairs are of this category' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  category?: string;

  @OptionalModelName()
  model?: string;
}

export class NearDuplicatesRequestDto extends NearDuplicateSelectionDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_IN_REQUEST_LIMIT, default: 100, description: 'Most pairs (and clusters) returned' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_IN_REQUEST_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ default: false, description: 'Also group the pairs: A~B and B~C → one group' })
  @IsOptional()
  @IsBoolean()
  cluster?: boolean;
}

export class StartScanRequestDto extends NearDuplicateSelectionDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SCAN_LIMIT, default: 100_000, description: 'Most pairs stored (the most similar)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SCAN_LIMIT)
  limit?: number;
}

export class NearDuplicatePairDto {
  @ApiProperty({ format: 'uuid', description: 'The smaller id of the two' }) idA!: string;
  @ApiProperty({ format: 'uuid' }) idB!: string;
  @ApiProperty({ example: 0.973 }) similarity!: number;

  static from(pair: NearDuplicatePair<string>): NearDuplicatePairDto {
    return { idA: pair.idA, idB: pair.idB, similarity: pair.similarity };
  }
}

export class ScanSummaryDto {
  @ApiProperty({ description: 'Vectors compared', example: 100000 }) vectors!: number;
  @ApiProperty({ description: 'Pairs stored', example: 2117 }) pairs!: number;
  @ApiProperty({ example: 1950 }) clusters!: number;
  @ApiProperty({ description: 'More pairs than `limit` were found; the most similar were kept' }) truncated!: boolean;
  @ApiProperty({ description: 'Reading and signing every vector', example: 6.1 }) loadSeconds!: number;
  @ApiProperty({ description: "Band sorts and exact checks (candidates' vectors read back included)", example: 12.2 }) scanSeconds!: number;
}

export class ScanRunDto extends CompareRunDto {
  @ApiProperty({ example: 0.95 }) threshold!: number;
  @ApiProperty({ example: 100000 }) limit!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) category!: string | null;
  @ApiPropertyOptional({ type: ScanSummaryDto, nullable: true, description: 'Set once completed' }) summary!: ScanSummaryDto | null;

  static from(run: CompareRunOf<'near_duplicate_scan'>): ScanRunDto {
    return {
      ...CompareRunDto.fields(run),
      threshold: run.parameters.threshold,
      limit: run.parameters.limit,
      category: run.parameters.category,
      summary: run.summary,
    };
  }
}

export class NearDuplicatesResponseDto {
  @ApiProperty({ enum: ['in-request', 'background'], description: 'background: the set was too large to answer at once; follow `scan`' })
  mode!: string;

  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty({ example: 0.95 }) threshold!: number;
  @ApiProperty({ description: 'Current embeddings compared', example: 1200 }) vectors!: number;
  @ApiPropertyOptional({ description: 'in-request: pairs found (counted up to 100,000)' }) totalPairs?: number;
  @ApiPropertyOptional({ type: [NearDuplicatePairDto], description: 'in-request: most similar first, each pair once' })
  pairs?: NearDuplicatePairDto[];
  @ApiPropertyOptional({ ...UUID_LISTS, description: 'in-request, with cluster: groups of QA pair ids, largest first' }) clusters?: string[][];
  @ApiPropertyOptional() totalClusters?: number;
  @ApiPropertyOptional({ description: 'in-request: over 100,000 pairs; counts and clusters cover the most similar 100,000' }) truncated?: boolean;
  @ApiPropertyOptional({ type: ScanRunDto, description: 'background: the scan to poll' }) scan?: ScanRunDto;

  static from(outcome: InRequestNearDuplicates | BackgroundNearDuplicates): NearDuplicatesResponseDto {
    if (outcome.mode === 'background') {
      const { scan, ...rest } = outcome;
      return { ...rest, scan: ScanRunDto.from(scan) };
    }
    return { ...outcome, pairs: outcome.pairs.map(NearDuplicatePairDto.from) };
  }
}

export class ScanRunPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [ScanRunDto] }) items!: ScanRunDto[];
}

/** A scan's pairs: a page, without the pairs dismissed as not duplicates unless asked. */
export class ScanPairsQueryDto extends IntersectionType(PageQueryDto, IncludeDismissedQuery) {}

export class NearDuplicatePairPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [NearDuplicatePairDto] }) items!: NearDuplicatePairDto[];
}

export class ClusterDto {
  @ApiProperty({ example: 1, description: '1 = the largest group' }) rank!: number;
  @ApiProperty({ example: 3 }) size!: number;
  @ApiProperty({ type: [String], format: 'uuid' }) qaPairIds!: string[];

  static from(cluster: StoredCluster): ClusterDto {
    return { rank: cluster.rank, size: cluster.qaPairIds.length, qaPairIds: cluster.qaPairIds };
  }
}

export class ClusterPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [ClusterDto] }) items!: ClusterDto[];
}

export class DetectedDuplicatesQueryDto extends IntersectionType(PageQueryDto, IncludeDismissedQuery) {
  @OptionalModelName()
  model?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only duplicates of this QA pair' })
  @IsOptional()
  @IsUUID()
  qaPairId?: string;

  @ApiPropertyOptional({ example: 'billing', description: 'Only pairs whose both QA pairs are of this category' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  category?: string;

  @ApiPropertyOptional({ minimum: MIN_THRESHOLD, maximum: 1, description: 'Default: NEAR_DUPLICATE_INGEST_THRESHOLD (what was recorded)' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(MIN_THRESHOLD)
  @Max(1)
  minSimilarity?: number;
}

export class DetectedDuplicateDto extends NearDuplicatePairDto {
  @ApiProperty() detectedAt!: Date;
}

export class DetectedDuplicatePageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [DetectedDuplicateDto] }) items!: DetectedDuplicateDto[];
}
