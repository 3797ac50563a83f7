import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';

/** Search on /metrics: searches by the mode that answered, degradations by reason, query cache hits. */
@Injectable()
export class SearchMetrics {
  readonly searches: Counter<'mode'>;
  readonly degraded: Counter<'reason'>;
  readonly queryCache: Counter<'result'>;

  constructor(registry: Registry) {
    this.searches = new Counter({
      name: 'embsvc_searches_total',
      help: 'Searches answered, by the mode that answered (vector, lexical, hybrid)',
      labelNames: ['mode'],
      registers: [registry],
    });
    this.degraded = new Counter({
      name: 'embsvc_search_degraded_total',
      help: 'Vector or hybrid searches answered from the lexical index because the query could not be embedded, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.queryCache = new Counter({
      name: 'embsvc_search_query_cache_total',
      help: 'Query-embedding cache look-ups by result (hit, miss)',
      labelNames: ['result'],
      registers: [registry],
    });
  }
}
