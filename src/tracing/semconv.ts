/**
 * Span attribute names. The stable ones come from `@opentelemetry/semantic-conventions`;
 * the GenAI and messaging ones are still incubating there (they may change in a minor
 * release), so, as that package recommends, they are copied here rather than imported from
 * `@opentelemetry/semantic-conventions/incubating`. Ours carry the `embedding.`, `search.`,
 * `migration.` and `scheduled.` prefixes.
 *
 * Never an attribute: question or answer text, query text, API keys, request headers.
 */
export {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';

// GenAI (https://opentelemetry.io/docs/specs/semconv/gen-ai/)
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_OPERATION_EMBEDDINGS = 'embeddings';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** The older name of `gen_ai.provider.name`, still what many back ends group by: both are set. */
export const ATTR_GEN_AI_SYSTEM = 'gen_ai.system';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';

// Messaging (https://opentelemetry.io/docs/specs/semconv/messaging/)
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
/** Not a registered `messaging.system` value: Bull (on Redis) has none. */
export const MESSAGING_SYSTEM_BULL = 'bull';

// This service's own.
export const ATTR = {
  /** Our model name (embedding_models.name); `gen_ai.request.model` is the name sent to the provider. */
  model: 'embedding.model',
  purpose: 'embedding.purpose',
  /** Jobs a batch serves, pairs a call sends or a write stores. */
  jobs: 'embedding.jobs',
  pairs: 'embedding.pairs',
  pairsWritten: 'embedding.pairs_written',
  pairsEmbedded: 'embedding.pairs_embedded',
  /** Tokens counted locally (cl100k) before sending; `gen_ai.usage.input_tokens` is what the provider reported. */
  localTokens: 'embedding.local_tokens',
  providerCalls: 'embedding.provider_calls',
  jobOutcome: 'embedding.job.outcome',
  jobAttempt: 'embedding.job.attempt',
  /** The circuit breaker's state when it admitted (or refused) the call, and after a failed one. */
  breakerState: 'embedding.breaker.state',
  breakerStateAfter: 'embedding.breaker.state_after',
  breakerProbe: 'embedding.breaker.probe',
  searchMode: 'search.mode',
  searchRequestedMode: 'search.requested_mode',
  searchQueryTokens: 'search.query_tokens',
  searchCached: 'search.cached',
  searchDegradedReason: 'search.degraded_reason',
  searchResults: 'search.results',
  migrationId: 'migration.id',
  migrationState: 'migration.state',
  migrationLane: 'migration.lane',
  scheduledTask: 'scheduled.task',
} as const;
