import ivm from 'isolated-vm';
import { runnerErrors } from './errors.js';

/**
 * Refuse a deployed bundle V8 cannot even parse, at deploy time, in a throwaway isolate: otherwise
 * every scheduled run fails on it, and the parser's error would carry host frames. Only parsed,
 * never run.
 */
export async function assertBundleParses(name: string, bundle: string): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const script = await isolate.compileScript(bundle, { filename: 'weft-script.js' });
    script.release();
  } catch (error) {
    const reason = String((error as Error).message ?? error).split('\n')[0] ?? 'cannot be parsed';
    throw runnerErrors.create('WEFT_RUNNER_INVALID_BUNDLE', { name, reason });
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
  }
}
