import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadProviders } from '@weft/auth';
import { defineBench, median } from './harness.js';

const builtIn = fileURLToPath(new URL('../providers.yaml', import.meta.url));
const nango = createRequire(import.meta.url).resolve('@nangohq/providers/providers.yaml');

async function timeLoad(file: string): Promise<number> {
  const start = performance.now();
  await loadProviders(file);
  return performance.now() - start;
}

/**
 * What `weft start` spends on providers.yaml (read, YAML parse, validation, alias merge, field
 * analysis and warnings) with Nango's whole catalogue (1,013 entries, 28k lines) against the
 * built-in file, measured alternately in the same run. The design's budget is under 1 s extra,
 * so the figure's ceiling is the built-in time + 1000 ms.
 */
export default defineBench({
  name: 'providers',
  description: "providers.yaml load at start: Nango's 1,013-entry catalogue vs the built-in file",
  async run(report) {
    await timeLoad(builtIn);
    await timeLoad(nango); // warm-up (JIT, file cache)
    const catalogue: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 7; i++) {
      baseline.push(await timeLoad(builtIn));
      catalogue.push(await timeLoad(nango));
    }
    const value = median(catalogue);
    const base = median(baseline);
    report({
      metric: 'catalogue_load',
      value,
      baseline: base,
      unit: 'ms',
      higherIsBetter: false,
      // The ratio is informative only (a 70× bigger file takes longer); the ceiling is the target.
      target: 0,
      maxValue: Math.round(base + 1000),
      baselineLabel: `built-in ${builtIn.split('/').at(-1)}`,
    });
  },
});
