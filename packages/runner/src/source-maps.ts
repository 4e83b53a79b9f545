import { SourceMapConsumer } from 'source-map-js';

const consumers = new Map<string, SourceMapConsumer>();

/**
 * Rewrite `weft-script.js:LINE:COL` frames of a sandbox stack to the user's file:line
 * (esbuild's source map, kept with the deployed artifact).
 */
/**
 * A stack as the script author may see it: everything from the isolate boundary on is the host's
 * (Weft's own files and Node's), which an API answer must never reveal.
 */
export function withoutHostFrames(stack: string): string {
  const lines = stack.split('\n');
  const boundary = lines.findIndex((line) => line.includes('<isolated-vm boundary>'));
  const kept = boundary === -1 ? lines : lines.slice(0, boundary);
  return kept.filter((line) => !/^\s+at .*(node:|node_modules\/|\/packages\/[a-z-]+\/src\/)/.test(line)).join('\n');
}

export function mapStack(stack: string, sourceMap: string): string {
  let consumer = consumers.get(sourceMap);
  if (consumer === undefined) {
    consumer = new SourceMapConsumer(JSON.parse(sourceMap));
    if (consumers.size > 100) consumers.clear();
    consumers.set(sourceMap, consumer);
  }
  const map = consumer;
  return withoutHostFrames(stack).replace(/weft-script\.js:(\d+):(\d+)/g, (whole, line: string, column: string) => {
    const original = map.originalPositionFor({ line: Number(line), column: Number(column) - 1 });
    if (original.source === null || original.line === null) return whole;
    const source = original.source.replace(/^(\.\.\/)+/, '').replace(/^.*node_modules\//, 'node_modules/');
    return `${source}:${original.line}:${(original.column ?? 0) + 1}`;
  });
}
