import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { uuidParam } from '../../common/http-errors';
import { PageQueryDto } from '../../common/page.dto';
import { DismissalDto, DismissalPageDto, DismissalsResultDto, DismissNearDuplicatesDto } from '../dto/dismissal.dto';
import { NearDuplicateDismissals } from './dismissals';

/** Near-duplicates reviewed and found not to be duplicates: hidden from a scan's pairs and the ones detected at ingestion. */
@ApiTags('compare')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field', type: ErrorResponseDto })
@Controller('compare/near-duplicates/dismissals')
export class NearDuplicateDismissalsController {
  constructor(private readonly dismissals: NearDuplicateDismissals) {}

  @Post()
  @AdminOnly()
  @ApiOperation({
    summary: 'Dismiss near-duplicates as not duplicates: two QA pairs, or every two of a group',
    description:
      "Kept with both texts as they are now: the lists of near-duplicates (a scan's pairs, `detected`) leave the two out until either is edited. " +
      'Dismissing again replaces the reason.',
  })
  @ApiCreatedResponse({ type: DismissalsResultDto })
  @ApiNotFoundResponse({ description: 'A QA pair does not exist', type: ErrorResponseDto })
  async dismiss(@Body() body: DismissNearDuplicatesDto): Promise<DismissalsResultDto> {
    const items = await this.dismissals.dismiss(body.qaPairIds, body.reason?.trim() ?? null);
    return { dismissed: items.length, items: items.map(DismissalDto.from) };
  }

  @Get()
  @ApiOperation({ summary: 'Dismissed near-duplicates, newest first (`current`: whether the dismissal still hides them)' })
  @ApiOkResponse({ type: DismissalPageDto })
  async list(@Query() query: PageQueryDto): Promise<DismissalPageDto> {
    const page = await this.dismissals.list(query.limit, query.offset);
    return { total: page.total, limit: query.limit, offset: query.offset, items: page.items.map(DismissalDto.from) };
  }

  @Delete(':id')
  @AdminOnly()
  @ApiOperation({ summary: 'Take a dismissal back: the two are listed again wherever they are near-duplicates' })
  @ApiOkResponse({ type: DismissalDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async remove(@Param('id', uuidParam()) id: string): Promise<DismissalDto> {
    return DismissalDto.from(await this.dismissals.remove(id));
  }
}
