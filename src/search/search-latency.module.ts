import { Module } from '@nestjs/common';
import { SearchLatency } from './search-latency';

/**
 * The shared search-latency histogram on its own: the search controller writes it, model
 * migration reads it (pacing), and neither module has to import the other.
 */
@Module({
  providers: [SearchLatency],
  exports: [SearchLatency],
})
export class SearchLatencyModule {}
