/** The fake OpenAI embeddings server: in process, over HTTP control, or as a child process. */
export { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from './server';
export { FakeOpenAIControl } from './control-client';
export { spawnFakeOpenAI, type SpawnFakeOpenAIOptions, type SpawnedFakeOpenAI } from './child-process';
export type { ControlTarget } from './control-routes';
export type { FakeOpenAIConfig, FakeOpenAIConfigPatch, MalformedKind, ServerErrorStatus } from './config';
export type { FakeOpenAIStats, RecentRequest } from './stats';
export { MAX_INPUTS, MAX_INPUT_TOKENS, MAX_REQUEST_TOKENS } from './embedding-request';
