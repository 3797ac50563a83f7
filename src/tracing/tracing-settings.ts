import { DiagLogLevel } from '@opentelemetry/api';
import { ConfigError } from '../config/app-config';

export type TracesExporterName = 'otlp' | 'console';

export type SamplerName =
  'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

const LOG_LEVELS: Record<string, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** The OTLP protocol this build ships an exporter for. */
export const OTLP_PROTOCOL = 'http/protobuf';

/** What the standard OTEL_* variables ask of tracing, once it is on. */
export interface TracingSettings {
  exporters: TracesExporterName[];
  sampler: { name: SamplerName; ratio: number };
  /** The batch span processor's settings (OTEL_BSP_*); undefined = the SDK's defaults. */
  batch: { scheduledDelayMillis?: number; exportTimeoutMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number };
  /** How much the SDK's own diagnostics say (OTEL_LOG_LEVEL). */
  logLevel: DiagLogLevel;
}

/**
 * Reads the standard OTEL_* variables. Tracing is off (null) unless configured:
 * - `OTEL_SDK_DISABLED=true` turns it off whatever else is set;
 * - `OTEL_TRACES_EXPORTER` (comma list of `otlp`, `console`; `none` = off) turns it on;
 * - without that, a non-empty `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` turns it on with the `otlp` exporter.
 * The spec's default exporter is `otlp` even with nothing set; here nothing set means no
 * tracing, so a machine without a collector never tries to send to localhost:4318.
 * Throws a ConfigError naming every malformed variable, as the rest of the configuration does.
 */
export function readTracingSettings(env: NodeJS.ProcessEnv): TracingSettings | null {
  const problems: string[] = [];
  const disabled = value(env, 'OTEL_SDK_DISABLED')?.toLowerCase();
  if (disabled !== undefined && disabled !== 'true' && disabled !== 'false') problems.push('OTEL_SDK_DISABLED: must be true or false');

  const named = [...new Set((value(env, 'OTEL_TRACES_EXPORTER') ?? '').split(','))].map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (named.includes('none') && named.length > 1) problems.push('OTEL_TRACES_EXPORTER: none cannot be combined with other exporters');
  const unknown = named.filter((name) => !['otlp', 'console', 'none'].includes(name));
  if (unknown.length > 0) problems.push(`OTEL_TRACES_EXPORTER: unknown exporter ${unknown.join(', ')} (this build has otlp, console, none)`);
  const endpoint = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporters = (named.length > 0 ? named : endpoint ? ['otlp'] : []).filter((name) => name === 'otlp' || name === 'console');

  if (exporters.includes('otlp')) {
    const protocol = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? OTLP_PROTOCOL;
    if (protocol !== OTLP_PROTOCOL) {
      const name = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
      problems.push(`${name}: this build exports traces over ${OTLP_PROTOCOL} only, got ${protocol}`);
    }
  }

  const samplerName = (value(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(samplerName)) problems.push(`OTEL_TRACES_SAMPLER: must be one of ${SAMPLERS.join(', ')}`);
  const ratioText = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = ratioText === undefined ? 1 : Number(ratioText);
  if (samplerName.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1)) problems.push('OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1');

  const batch = {
    scheduledDelayMillis: wholeNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', problems),
    exportTimeoutMillis: wholeNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', problems),
    maxQueueSize: wholeNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', problems),
    maxExportBatchSize: wholeNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', problems),
  };

  const logLevelName = (value(env, 'OTEL_LOG_LEVEL') ?? 'info').toLowerCase();
  const logLevel = LOG_LEVELS[logLevelName];
  if (logLevel === undefined) problems.push(`OTEL_LOG_LEVEL: must be one of ${Object.keys(LOG_LEVELS).join(', ')}`);

  if (problems.length > 0) throw new ConfigError(problems);
  if (disabled === 'true' || exporters.length === 0) return null;
  return { exporters: exporters as TracesExporterName[], sampler: { name: samplerName as SamplerName, ratio }, batch, logLevel };
}

/** A variable's trimmed value; undefined when unset or blank (the spec treats both alike). */
function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, problems: string[]): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < 0) problems.push(`${name}: must be a whole number of at least 0`);
  return parsed;
}
