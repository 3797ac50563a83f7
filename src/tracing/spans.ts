import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { ATTR, ATTR_ERROR_TYPE } from './semconv';

export { SpanKind };
export type { Span, SpanContext };

/** The instrumentation scope of every span this service makes. */
export const TRACER_NAME = 'embedding-service';

/** A ProxyTracer: it follows whatever provider `startTracing` registers, before or after this line runs. */
const tracer = trace.getTracer(TRACER_NAME);

/** What every span call gets when tracing is off: a span whose methods do nothing. */
const NOT_RECORDING: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

let enabled = false;

/**
 * Whether tracing is on in this process (`startTracing` found it configured). Off, the
 * helpers below cost a boolean check: no span, no context switch, nothing in job data.
 */
export function tracingEnabled(): boolean {
  return enabled;
}

/** For `startTracing` and its shutdown only. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

/** How a span starts: the API's options, plus the parent context (default: the active one). */
export interface SpanStart extends SpanOptions {
  parent?: Context;
}

/**
 * Runs `fn` in a new active span and ends it when `fn` settles; a thrown error marks the
 * span failed (`error.type`, never the message, which may quote the provider or user
 * text) and is rethrown. `start` may be a function, so that attributes and links cost
 * nothing to build while tracing is off.
 */
export function inSpan<T>(name: string, start: SpanStart | (() => SpanStart), fn: (span: Span) => Promise<T>): Promise<T> {
  if (!enabled) return fn(NOT_RECORDING);
  const { parent, ...options } = typeof start === 'function' ? start() : start;
  return tracer.startActiveSpan(name, options, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A scheduled task's span: a trace of its own (never a child of whatever context its timer kept). */
export function scheduledSpan(task: string): SpanStart {
  return { root: true, attributes: { [ATTR.scheduledTask]: task } };
}

/** Sets attributes on the active span, if tracing is on and there is one. */
export function annotateActiveSpan(attributes: Attributes): void {
  if (enabled) trace.getActiveSpan()?.setAttributes(attributes);
}

/** Marks a span failed with a low-cardinality error type and no message. */
export function failSpan(span: Span, error: unknown): void {
  const type = errorType(error);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/**
 * An error's type for `error.type`: its reason (a provider the breaker or budget refused),
 * its kind (`provider_<kind>`), its code (a domain error, a PostgreSQL SQLSTATE, a socket
 * errno), else its class name. Never its message.
 */
export function errorType(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const fields = error as Error & { reason?: unknown; kind?: unknown; code?: unknown };
  if (typeof fields.reason === 'string') return fields.reason;
  if (typeof fields.kind === 'string') return `provider_${fields.kind}`;
  if (typeof fields.code === 'string' || typeof fields.code === 'number') return `${error.name}:${fields.code}`;
  return error.name;
}

/** The active span's context, when tracing is on and a span is active (for links and job data). */
export function activeSpanContext(): SpanContext | undefined {
  if (!enabled) return undefined;
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * The id of the trace the active span belongs to, when that trace is sampled (so it can be
 * found in the tracing back end): what the usage ledger records with a provider call.
 */
export function currentTraceId(): string | undefined {
  const spanContext = activeSpanContext();
  return spanContext && spanContext.traceFlags & TraceFlags.SAMPLED ? spanContext.traceId : undefined;
}

/** A context whose parent is `spanContext` (a span of another job, or one read back from job data), or the root. */
export function contextWithParent(spanContext: SpanContext | undefined): Context {
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/** Links to each of `spanContexts`, e.g. a batch to every job it serves. */
export function linksTo(spanContexts: Array<SpanContext | undefined>): Link[] {
  return spanContexts.filter((spanContext) => spanContext !== undefined).map((spanContext) => ({ context: spanContext }));
}

/**
 * W3C trace context as carried in a queue job's data (`traceparent`, and `tracestate`
 * when there is one).
 */
export type TraceCarrier = Record<string, string>;

/** The active context as a carrier for job data; undefined while tracing is off or no span is active. */
export function traceCarrier(): TraceCarrier | undefined {
  if (!activeSpanContext()) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/**
 * The context a job's data carries (its producer's span as a remote parent), or the root
 * when it carries none: never the context that happens to be active, which in a queue
 * worker can be another job's.
 */
export function contextFromCarrier(carrier: TraceCarrier | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}
