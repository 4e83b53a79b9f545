import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Bench, type Figure, ratioOf, resultLine, targetMet } from './harness.js';

/** `npm run bench` runs every bench/*.bench.ts; `npm run bench -- <name>` runs the ones named. */
const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts')).sort();
const selected = wanted.length ? files.filter((f) => wanted.includes(f.replace(/\.bench\.ts$/, ''))) : files;
if (selected.length === 0) {
  process.stderr.write(
    `No bench named ${wanted.join(', ')}; available: ${files.map((f) => f.replace(/\.bench\.ts$/, '')).join(', ')}\n`,
  );
  process.exit(2);
}

const rows: { bench: string; figure: Figure }[] = [];
let failedTargets = 0;
for (const file of selected) {
  const bench = ((await import(`${dir}${file}`)) as { default: Bench }).default;
  process.stdout.write(`\n▶ ${bench.name}: ${bench.description}\n`);
  await bench.run((figure) => {
    rows.push({ bench: bench.name, figure });
    process.stdout.write(`${resultLine(bench.name, figure)}\n`);
  });
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
process.stdout.write(
  '\n| bench.metric | value | baseline (same run) | ratio (higher is better) | target | met |\n|---|---|---|---|---|---|\n',
);
for (const { bench, figure } of rows) {
  const ratio = ratioOf(figure);
  const met = targetMet(figure);
  if (!met) failedTargets += 1;
  process.stdout.write(
    `| ${bench}.${figure.metric} | ${fmt(figure.value)} ${figure.unit} | ${fmt(figure.baseline)} ${figure.unit}${figure.baselineLabel ? ` (${figure.baselineLabel})` : ''} | ${ratio.toFixed(2)} | ${figure.target}${figure.maxValue === undefined ? '' : `, value ≤ ${figure.maxValue} ${figure.unit}`} | ${met ? 'yes' : 'NO'} |\n`,
  );
}
// Every RESULT line again at the end, so `tail` shows them together.
for (const { bench, figure } of rows) process.stdout.write(`${resultLine(bench, figure)}\n`);
process.stdout.write(`\n${rows.length - failedTargets}/${rows.length} targets met\n`);
