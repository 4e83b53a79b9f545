/** Where progress goes: a terminal gets a spinner, anything else (CI logs, pipes) plain lines. */
export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface Progress {
  /** Run `work` under `label`: a spinner with elapsed time in a terminal, start/end lines otherwise. */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** One spinner frame for a long wait the caller drives (e.g. polling), or a plain line every `plainEvery` calls. */
  tick(label: string, plainEvery?: number): void;
  /** Clear whatever `tick` left on the line. */
  clear(): void;
}

export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(stream: ProgressStream = process.stdout, intervalMs = 80): Progress {
  const interactive = stream.isTTY === true;
  let ticks = 0;
  const seconds = (ms: number) => (ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`);
  return {
    async step(label, work) {
      const started = performance.now();
      let frame = 0;
      const draw = () =>
        stream.write(
          `\r\x1b[K${SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length]} ${label} ${seconds(performance.now() - started)}`,
        );
      let timer: NodeJS.Timeout | undefined;
      if (interactive) {
        draw();
        timer = setInterval(draw, intervalMs);
      } else stream.write(`${label}…\n`);
      try {
        const result = await work();
        const took = seconds(performance.now() - started);
        stream.write(interactive ? `\r\x1b[K✓ ${label} (${took})\n` : `${label}: done in ${took}\n`);
        return result;
      } catch (error) {
        stream.write(interactive ? `\r\x1b[K✗ ${label}\n` : `${label}: failed\n`);
        throw error;
      } finally {
        clearInterval(timer);
      }
    },
    tick(label, plainEvery = 10) {
      if (interactive) stream.write(`\r\x1b[K${SPINNER_FRAMES[ticks % SPINNER_FRAMES.length]} ${label}`);
      else if (ticks % plainEvery === 0) stream.write(`${label}\n`);
      ticks += 1;
    },
    clear() {
      if (interactive) stream.write('\r\x1b[K');
    },
  };
}
