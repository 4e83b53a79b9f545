import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the exporters read the
 * standard OTEL_* variables themselves).
 * - Traces: `sync.run` / `action.run` → `proxy.request` and `records.*` writes, with connection,
 *   integration and sync attributes; failed runs carry error status.
 * - Metrics, every `OTEL_METRIC_EXPORT_INTERVAL` ms (default 60000): `weft.script.runs` and
 *   `weft.script.run.duration` by integration, script and outcome; `weft.records.changes` by model
 *   and change; `weft.proxy.requests` and `weft.proxy.request.duration` by integration and status.
 * Without the variable the API stays a no-op and costs nothing.
 */
export function startTelemetry(env: Record<string, string | undefined>, role: string): { shutdown(): Promise<void> } {
  if (
    !env.OTEL_EXPORTER_OTLP_ENDPOINT &&
    !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT &&
    !env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
  )
    return { shutdown: async () => {} };
  // Endpoints from the env we were given (not only process.env), per the OTLP spec's defaults.
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base}/v1/traces` : undefined);
  const metricsUrl = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? (base ? `${base}/v1/metrics` : undefined);
  const resource = resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'weft', 'weft.role': role });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter(tracesUrl ? { url: tracesUrl } : {}), { scheduledDelayMillis: 500 }),
    ],
  });
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(metricsUrl ? { url: metricsUrl } : {}),
        exportIntervalMillis: Number.isFinite(interval) && interval > 0 ? interval : 60_000,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    async shutdown() {
      await Promise.all([tracerProvider.forceFlush().catch(() => {}), meterProvider.forceFlush().catch(() => {})]);
      await Promise.all([tracerProvider.shutdown().catch(() => {}), meterProvider.shutdown().catch(() => {})]);
    },
  };
}
