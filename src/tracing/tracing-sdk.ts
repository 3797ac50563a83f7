import { context, diag, type DiagLogFunction, type DiagLogger, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from './semconv';
import { setTracingEnabled } from './spans';
import type { Tracing } from './tracing';
import type { TracingSettings } from './tracing-settings';

/** `service.name` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names another. */
export const DEFAULT_SERVICE_NAME = 'embedding-service';

/**
 * The SDK itself, loaded by `startTracing` (tracing.ts) only once tracing is on: registers
 * the tracer provider, the AsyncLocalStorage context manager and the W3C trace-context and
 * baggage propagators with the OpenTelemetry API. With `spanProcessors` (tests), those
 * replace the exporters the settings name, and sampling is always on.
 */
export function registerTracing(settings: TracingSettings | null, spanProcessors?: SpanProcessor[]): Tracing {
  if (settings) diag.setLogger(jsonDiagLogger, settings.logLevel);

  const provider = new TracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME }))
      .merge(detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] })),
    sampler: settings && !spanProcessors ? samplerOf(settings) : new AlwaysOnSampler(),
    spanProcessors: spanProcessors ?? (settings ? processorsOf(settings) : []),
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager) || !trace.setGlobalTracerProvider(provider)) {
    throw new Error('tracing is already started in this process');
  }
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  setTracingEnabled(true);

  let stopped: Promise<void> | undefined;
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: () =>
      (stopped ??= (async () => {
        setTracingEnabled(false);
        try {
          await provider.shutdown();
        } finally {
          trace.disable();
          propagation.disable();
          context.disable();
          diag.disable();
        }
      })()),
  };
}

function processorsOf(settings: TracingSettings): SpanProcessor[] {
  return settings.exporters.map((name) =>
    name === 'console'
      ? new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })
      : // Endpoint, headers, timeout, compression and TLS files: OTEL_EXPORTER_OTLP_[TRACES_]* read by the exporter.
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...definedOnly(settings.batch) }),
  );
}

function samplerOf({ sampler }: TracingSettings): Sampler {
  switch (sampler.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(sampler.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampler.ratio) });
  }
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The SDK's own diagnostics (an exporter that cannot reach its collector, …) as JSON lines on
 * stderr, like the service's other logs. Only strings and error messages are written, never
 * the objects the SDK passes along (an exporter's options hold its headers).
 */
const jsonDiagLogger: DiagLogger = {
  error: diagLine(50),
  warn: diagLine(40),
  info: diagLine(30),
  debug: diagLine(20),
  verbose: diagLine(10),
};

function diagLine(level: number): DiagLogFunction {
  return (message: string, ...args: unknown[]) => {
    const detail = args
      .map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' || typeof arg === 'number' ? String(arg) : ''))
      .filter(Boolean)
      .join(' ');
    process.stderr.write(JSON.stringify({ level, component: 'opentelemetry', msg: detail ? `${message} ${detail}` : message }) + '\n');
  };
}
