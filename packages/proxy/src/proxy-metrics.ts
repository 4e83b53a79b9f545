import { meterInstruments } from '@weft/core';

/** OTel metrics of proxied calls (exported over OTLP when telemetry is on). No connection ids: cardinality. */
export const proxyMetrics = meterInstruments('weft-proxy', (meter) => ({
  requests: meter.createCounter('weft.proxy.requests', {
    description: 'Calls through the outbound proxy by integration and HTTP status (0 = no response).',
  }),
  duration: meter.createHistogram('weft.proxy.request.duration', {
    description: 'Wall time of proxied calls, retries included.',
    unit: 'ms',
  }),
}));
