import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (chunk: string) => chunks.push(chunk) };
}

describe('CLI progress', () => {
  it('draws a spinner with elapsed time in a terminal and ends with a ✓ line', async () => {
    const tty = stream(true);
    let release: () => void = () => {};
    const work = new Promise<string>((resolve) => {
      release = () => resolve('done');
    });
    const running = createProgress(tty, 5).step('Compiling demo', () => work);
    // Let the spinner redraw a few times while the work is pending.
    while (tty.chunks.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    expect(await running).toBe('done');
    const frames = tty.chunks.slice(0, -1);
    const CLEAR = '\r\x1b[K';
    expect(frames.every((c) => c.startsWith(CLEAR) && /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Compiling demo \d+ ms$/.test(c.slice(4)))).toBe(
      true,
    );
    expect(new Set(frames.map((c) => c[4])).size).toBeGreaterThan(1); // it turns
    expect(tty.chunks.at(-1)?.startsWith(CLEAR)).toBe(true);
    expect(tty.chunks.at(-1)?.slice(4)).toMatch(/^✓ Compiling demo \(\d+ ms\)\n$/);
    const count = tty.chunks.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tty.chunks.length).toBe(count); // stopped drawing
  });

  it('prints plain start/end lines when not a terminal, and marks failures', async () => {
    const pipe = stream(false);
    const progress = createProgress(pipe);
    await progress.step('Deploying demo', async () => 1);
    await expect(
      progress.step('Running items against c1', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(pipe.chunks.join('')).toMatch(
      /^Deploying demo…\nDeploying demo: done in \d+ ms\nRunning items against c1…\nRunning items against c1: failed\n$/,
    );
    const tty = stream(true);
    await expect(
      createProgress(tty).step('Compiling broken', async () => {
        throw new Error('x');
      }),
    ).rejects.toThrow('x');
    expect(tty.chunks.at(-1)).toBe('\r\x1b[K✗ Compiling broken\n');
  });

  it('ticks for caller-driven waits: frames in a terminal, every nth line otherwise', () => {
    const tty = stream(true);
    const a = createProgress(tty);
    a.tick('2 sync(s) running…');
    a.tick('1 sync(s) running…');
    a.clear();
    expect(tty.chunks).toEqual(['\r\x1b[K⠋ 2 sync(s) running…', '\r\x1b[K⠙ 1 sync(s) running…', '\r\x1b[K']);
    const pipe = stream(false);
    const b = createProgress(pipe);
    for (let i = 0; i < 12; i++) b.tick('waiting', 10);
    b.clear();
    expect(pipe.chunks).toEqual(['waiting\n', 'waiting\n']);
  });
});
