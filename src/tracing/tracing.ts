import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { readTracingSettings } from './tracing-settings';

/** Tracing, once started: flush and stop it (SIGTERM) with these. */
export interface Tracing {
  forceFlush(): Promise<void>;
  /** Exports what is buffered, then unregisters everything `startTracing` registered. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** Where the OTEL_* variables are read; default process.env (the OTLP exporter reads its own from process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Span processors to use instead of the exporters the environment names; tracing is then
   * on whatever the environment says (tests: a SimpleSpanProcessor over an InMemorySpanExporter).
   */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts tracing when the OTEL_* variables configure it (`readTracingSettings`; a malformed
 * one throws a ConfigError), before Nest boots. Returns undefined when tracing is off: then
 * the SDK is not even loaded (it costs ~140 ms and ~18 MB at start), nothing is registered,
 * and every span helper in `spans.ts` is a no-op. Spans are made by hand in our own code
 * (README.md in this folder), so no module needs patching and the order of imports does
 * not matter.
 */
export async function startTracing(options: StartTracingOptions = {}): Promise<Tracing | undefined> {
  const settings = readTracingSettings(options.env ?? process.env);
  if (!settings && !options.spanProcessors) return undefined;
  const { registerTracing } = await import('./tracing-sdk');
  return registerTracing(settings, options.spanProcessors);
}
