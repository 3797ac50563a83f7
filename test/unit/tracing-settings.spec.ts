import { DiagLogLevel } from '@opentelemetry/api';
import { ConfigError } from '../../src/config/app-config';
import { readTracingSettings } from '../../src/tracing/tracing-settings';

describe('readTracingSettings (the OTEL_* variables)', () => {
  it('is off unless an exporter or an OTLP endpoint is configured', () => {
    expect(readTracingSettings({})).toBeNull();
    expect(readTracingSettings({ OTEL_SERVICE_NAME: 'api', OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeNull();
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })?.exporters).toEqual(['otlp']);
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })?.exporters).toEqual(['otlp']);
    expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'console, otlp,console' })?.exporters).toEqual(['console', 'otlp']);
  });

  it('is off with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, whatever else is set', () => {
    expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
    expect(readTracingSettings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' })).toBeNull();
    expect(readTracingSettings({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' })).not.toBeNull();
  });

  it('defaults as the specification does: parent-based always-on sampling, the SDK batch defaults, info diagnostics', () => {
    expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({
      exporters: ['otlp'],
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      batch: { scheduledDelayMillis: undefined, exportTimeoutMillis: undefined, maxQueueSize: undefined, maxExportBatchSize: undefined },
      logLevel: DiagLogLevel.INFO,
    });
  });

  it('reads the sampler, the batch processor and the log level', () => {
    const settings = readTracingSettings({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '128',
      OTEL_LOG_LEVEL: 'ERROR',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    });
    expect(settings).toMatchObject({
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
      batch: { scheduledDelayMillis: 1000, maxExportBatchSize: 128 },
      logLevel: DiagLogLevel.ERROR,
    });
  });

  it('refuses a malformed variable, naming every one, like the rest of the configuration', () => {
    let error: unknown;
    try {
      readTracingSettings({
        OTEL_TRACES_EXPORTER: 'otlp,zipkin',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '2',
        OTEL_BSP_MAX_QUEUE_SIZE: '-1',
        OTEL_LOG_LEVEL: 'loud',
        OTEL_SDK_DISABLED: 'yes',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/OTEL_TRACES_EXPORTER: unknown exporter zipkin/);
    expect(message).toMatch(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: this build exports traces over http\/protobuf only, got grpc/);
    expect(message).toMatch(/OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1/);
    expect(message).toMatch(/OTEL_BSP_MAX_QUEUE_SIZE: must be a whole number/);
    expect(message).toMatch(/OTEL_LOG_LEVEL: must be one of/);
    expect(message).toMatch(/OTEL_SDK_DISABLED: must be true or false/);
    expect(() => readTracingSettings({ OTEL_TRACES_EXPORTER: 'none,otlp' })).toThrow(/none cannot be combined/);
    expect(() => readTracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(
      /OTEL_TRACES_SAMPLER: must be one of/,
    );
  });
});
