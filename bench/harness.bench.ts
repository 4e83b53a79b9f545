import { performance } from 'node:perf_hooks';
import { defineBench, median } from './harness.js';

/**
 * Harness self-check: the same workload measured as "value" and as "baseline" in one run must
 * give a ratio near 1 in both orientations. If it does not, the machine is too noisy for the
 * other benches' ratios to mean much, and the table says so.
 */
function workload(): number {
  const records = Array.from({ length: 2000 }, (_, i) => ({
    id: String(i),
    name: `item-${i}`,
    size: i * 7,
    tags: ['a', 'b'],
  }));
  const start = performance.now();
  for (let round = 0; round < 20; round++) JSON.parse(JSON.stringify(records));
  return performance.now() - start;
}

export default defineBench({
  name: 'harness',
  description: 'same workload as value and baseline (noise check; ratio should be ~1)',
  async run(report) {
    workload(); // warm-up
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 15; i++) {
      a.push(workload());
      b.push(workload());
    }
    const value = median(a);
    const baseline = median(b);
    report({
      metric: 'noise_time',
      value,
      baseline,
      unit: 'ms',
      higherIsBetter: false,
      target: 0.8,
      baselineLabel: 'same workload',
    });
    report({
      metric: 'noise_rate',
      value: 1000 / value,
      baseline: 1000 / baseline,
      unit: 'runs/s',
      higherIsBetter: true,
      target: 0.8,
      baselineLabel: 'same workload',
    });
  },
});
