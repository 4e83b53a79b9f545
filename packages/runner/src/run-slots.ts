import { runnerErrors } from './errors.js';

/**
 * A cap on runs executed at once by this process, with a bounded line behind it: the scheduler
 * caps syncs, this caps what the API starts on demand (actions, dryruns), so a burst of requests
 * cannot start an unbounded number of isolates (each up to its memory limit).
 */
export class RunSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Callers of whenFree(), woken when a slot is released with nobody in line. */
  private readonly watchers: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly queueLimit: number,
  ) {}

  /** Resolves with the release function once a slot is free; refuses at once when the line is full. */
  async acquire(): Promise<() => void> {
    if (this.running < this.limit) {
      this.running += 1;
      return this.releaser();
    }
    if (this.waiting.length >= this.queueLimit) {
      throw runnerErrors.create('WEFT_RUNNER_ACTIONS_BUSY', { running: this.running, waiting: this.waiting.length });
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  /**
   * A slot now, or undefined when every slot is taken: for work that can go elsewhere instead of
   * waiting in this process's line (an async action goes to the fleet's queue).
   */
  tryAcquire(): (() => void) | undefined {
    if (this.running >= this.limit) return undefined;
    this.running += 1;
    return this.releaser();
  }

  /**
   * Resolves once a slot is free with nobody in line (at once when one is). It reserves nothing:
   * a queue worker waits here before it fetches, then takes the slot with tryAcquire(), so a
   * process with busy slots leaves queued work to the rest of the fleet.
   */
  whenFree(): Promise<void> {
    if (this.running < this.limit) return Promise.resolve();
    return new Promise<void>((resolve) => this.watchers.push(resolve));
  }

  /** Runs and waiting runs right now (metrics, tests). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next in line, so `running` never dips below the cap while runs wait.
      const next = this.waiting.shift();
      if (next) next();
      else {
        this.running -= 1;
        for (const watcher of this.watchers.splice(0)) watcher();
      }
    };
  }
}
