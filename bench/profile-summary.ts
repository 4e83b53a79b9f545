import { writeFile } from 'node:fs/promises';

/** The parts of a V8 `.cpuprofile` (Profiler.stop) this summary reads. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/packages\//, 'packages/');
const frameLabel = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'}${n.callFrame.url ? ` ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : ''}`;
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Writes `<base>.md` (top-N self time per function and per area) and `<base>.svg` (a flame graph:
 * root at the bottom, width = time including callees) from a V8 CPU profile, with no dependency.
 */
export async function writeProfileSummary(profile: CpuProfile, base: string, title: string, topN = 30): Promise<void> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // The profiler's own stop call (node:inspector `post`) is sampled too: leave its subtree out.
  const excluded = new Set<number>();
  const exclude = (id: number) => {
    excluded.add(id);
    for (const child of byId.get(id)?.children ?? []) exclude(child);
  };
  for (const n of profile.nodes) if (n.callFrame.url === 'node:inspector') exclude(n.id);
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    if (excluded.has(id)) continue;
    self.set(id, (self.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }
  const total = new Map<number, number>();
  const totalOf = (id: number): number => {
    const known = total.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id) as ProfileNode;
    let sum = self.get(id) ?? 0;
    for (const child of node.children ?? []) sum += totalOf(child);
    total.set(id, sum);
    return sum;
  };
  const root = profile.nodes[0] as ProfileNode;
  const all = totalOf(root.id);
  const busy =
    all - [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((s, [, v]) => s + v, 0);

  const perFunction = new Map<string, number>();
  const perArea = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id) as ProfileNode;
    if (node.callFrame.functionName === '(idle)') continue;
    const label = frameLabel(node);
    perFunction.set(label, (perFunction.get(label) ?? 0) + us);
    const url = shortUrl(node.callFrame.url);
    const area =
      url === ''
        ? node.callFrame.functionName
        : url.startsWith('packages/')
          ? url.split('/').slice(0, 2).join('/')
          : url.startsWith('node:')
            ? url
            : (url.split('/')[0] as string);
    perArea.set(area, (perArea.get(area) ?? 0) + us);
  }
  const pct = (us: number) => ((100 * us) / busy).toFixed(1);
  const table = (rows: Map<string, number>, n: number) =>
    [...rows]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `| ${pct(us)} % | ${(us / 1000).toFixed(0)} ms | \`${k}\` |`)
      .join('\n');
  await writeFile(
    `${base}.md`,
    `# CPU profile: ${title}\n\nBusy (non-idle) time ${(busy / 1000).toFixed(0)} ms of ${(all / 1000).toFixed(0)} ms sampled.\n\n## Top ${topN} functions by self time\n\n| share of busy | self | function |\n|---|---|---|\n${table(perFunction, topN)}\n\n## Self time by area (package / dependency / node built-in)\n\n| share of busy | self | area |\n|---|---|---|\n${table(perArea, 20)}\n`,
  );

  // Flame graph.
  const width = 1600;
  const rowHeight = 16;
  const minUs = all / width / 2; // narrower than half a pixel: skipped
  const rects: string[] = [];
  let maxDepth = 0;
  const layout = (id: number, x: number, depth: number) => {
    const node = byId.get(id) as ProfileNode;
    const us = total.get(id) ?? 0;
    if (us < minUs) return;
    maxDepth = Math.max(maxDepth, depth);
    const w = (us / all) * width;
    rects.push(
      `<g><title>${escapeXml(frameLabel(node))} — ${(us / 1000).toFixed(1)} ms (${((100 * us) / all).toFixed(1)} %)</title><rect x="${x.toFixed(2)}" y="DEPTH${depth}" width="${w.toFixed(2)}" height="${rowHeight - 1}" fill="hsl(${(frameLabel(node).length * 37) % 60},80%,${55 + (depth % 3) * 7}%)"/>${w > 40 ? `<text x="${(x + 3).toFixed(2)}" y="DEPTH${depth}T" font-size="11" font-family="monospace">${escapeXml(frameLabel(node).slice(0, Math.floor(w / 7)))}</text>` : ''}</g>`,
    );
    let cx = x;
    for (const child of node.children ?? []) {
      layout(child, cx, depth + 1);
      cx += ((total.get(child) ?? 0) / all) * width;
    }
  };
  layout(root.id, 0, 0);
  const height = (maxDepth + 2) * rowHeight + 20;
  const svg = rects
    .join('\n')
    .replace(/DEPTH(\d+)T/g, (_, d: string) => String(height - (Number(d) + 1) * rowHeight + 11))
    .replace(/DEPTH(\d+)/g, (_, d: string) => String(height - (Number(d) + 1) * rowHeight));
  await writeFile(
    `${base}.svg`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>${escapeXml(title)}</title><rect width="100%" height="100%" fill="#fff"/><text x="4" y="14" font-size="12" font-family="sans-serif">${escapeXml(title)} — flame graph, width = time incl. callees (hover for names)</text>\n${svg}\n</svg>\n`,
  );
}
