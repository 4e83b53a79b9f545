import { describe, expect, it } from 'vitest';
import { RunSlots } from './run-slots.js';

describe('RunSlots for work that can go elsewhere (the async action queue)', () => {
  it('tryAcquire takes a free slot and answers undefined when all are busy, without joining the line', () => {
    const slots = new RunSlots(1, 0);
    const release = slots.tryAcquire();
    expect(release).toBeDefined();
    expect(slots.tryAcquire()).toBeUndefined();
    expect(slots.load).toEqual({ running: 1, waiting: 0 });
    release?.();
    release?.(); // twice is once
    expect(slots.load).toEqual({ running: 0, waiting: 0 });
  });

  it('whenFree resolves at once with a free slot, and otherwise only when one is released with nobody in line', async () => {
    const slots = new RunSlots(1, 1);
    await slots.whenFree();
    const first = slots.tryAcquire();
    let free = false;
    const watched = slots.whenFree().then(() => {
      free = true;
    });
    const waiter = slots.acquire(); // an in-request action waiting in line gets the slot first
    first?.();
    const second = await waiter;
    await Promise.resolve();
    expect(free).toBe(false);
    second();
    await watched;
    expect(free).toBe(true);
    expect(slots.tryAcquire()).toBeDefined();
  });
});
