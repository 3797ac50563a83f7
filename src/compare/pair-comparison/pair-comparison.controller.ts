import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { badRequest } from '../../common/errors';
import { cosineSimilarity } from '../near-duplicates/cosine-similarity';
import { ComparePairsDto, PairComparisonDto } from '../dto/pair-comparison.dto';
import { SimilarityRequestDto, SimilarityResponseDto } from '../dto/similarity.dto';
import { PairComparisonService } from './pair-comparison.service';

@ApiTags('compare')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field', type: ErrorResponseDto })
@Controller('compare')
export class PairComparisonController {
  constructor(private readonly pairs: PairComparisonService) {}

  @Post('similarity')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cosine similarity of two vectors',
    description: 'Exact for any dimension; both vectors must have the same length. A zero vector has similarity 0 to anything.',
  })
  @ApiOkResponse({ type: SimilarityResponseDto })
  similarity(@Body() body: SimilarityRequestDto): SimilarityResponseDto {
    if (body.vec1.length !== body.vec2.length) {
      throw badRequest('vec2', `has ${body.vec2.length} components but vec1 has ${body.vec1.length}; the dimensions must match`);
    }
    return { similarity: cosineSimilarity(body.vec1, body.vec2), dimensions: body.vec1.length };
  }

  @Get('pairs')
  @ApiOperation({ summary: 'Compare two QA pairs: similarity of their current embeddings and both texts' })
  @ApiOkResponse({ type: PairComparisonDto })
  @ApiNotFoundResponse({ description: 'A QA pair or the model does not exist', type: ErrorResponseDto })
  @ApiConflictResponse({
    description: 'A pair has no current embedding under the model (pending, stale or failed); the message names it',
    type: ErrorResponseDto,
  })
  comparePairsByQuery(@Query() query: ComparePairsDto): Promise<PairComparisonDto> {
    return this.pairs.compare(query.idA, query.idB, query.model);
  }

  @Post('pairs')
  @HttpCode(200)
  @ApiOperation({ summary: 'Compare two QA pairs (same as GET, ids in the body)' })
  @ApiOkResponse({ type: PairComparisonDto })
  @ApiNotFoundResponse({ description: 'A QA pair or the model does not exist', type: ErrorResponseDto })
  @ApiConflictResponse({
    description: 'A pair has no current embedding under the model (pending, stale or failed); the message names it',
    type: ErrorResponseDto,
  })
  comparePairs(@Body() body: ComparePairsDto): Promise<PairComparisonDto> {
    return this.pairs.compare(body.idA, body.idB, body.model);
  }
}
