import { type Meter, metrics } from '@opentelemetry/api';

/**
 * Instruments created against whichever global MeterProvider is registered when they are first
 * used, and re-created if it changes. The metrics API has no proxy provider (unlike traces): a
 * meter taken at import time, before `startTelemetry` registers the SDK, would stay a no-op.
 * Without a provider every instrument is the API's no-op and costs next to nothing.
 */
export function meterInstruments<T>(scope: string, create: (meter: Meter) => T): () => T {
  let provider: unknown;
  let instruments: T | undefined;
  return () => {
    const current = metrics.getMeterProvider();
    if (instruments === undefined || current !== provider) {
      provider = current;
      instruments = create(current.getMeter(scope));
    }
    return instruments;
  };
}
