import { meterInstruments } from '@weft/core';

/** OTel metrics of script runs (exported over OTLP when telemetry is on). No connection ids: cardinality. */
export const runMetrics = meterInstruments('weft-runner', (meter) => ({
  runs: meter.createCounter('weft.script.runs', {
    description: 'Sync and action runs by outcome.',
  }),
  duration: meter.createHistogram('weft.script.run.duration', {
    description: 'Wall time of sync and action runs.',
    unit: 'ms',
  }),
  records: meter.createCounter('weft.records.changes', {
    description: 'Records added, updated or deleted by sync runs.',
  }),
}));
