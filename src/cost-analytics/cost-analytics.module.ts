import { Module } from '@nestjs/common';
import { UsageLedgerService } from './usage-ledger.service';

@Module({
  providers: [UsageLedgerService],
  exports: [UsageLedgerService],
})
export class CostAnalyticsModule {}
