import { describe, expect, it } from "vitest";
import { runPool } from "../src/pool.js";

// Work items that finish when the test says so: no timing involved.
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe("runPool, the one bounded pool", () => {
  it("runs at most `limit` at once and gives results in the items' order", async () => {
    let running = 0;
    let most = 0;
    const results = await runPool([5, 1, 4, 2, 3], 2, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await Promise.resolve();
      running -= 1;
      return item * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it("starts nothing after the first error, waits for those in flight, then throws that error", async () => {
    const slow = gate();
    const started: number[] = [];
    const finished: number[] = [];
    const seen: unknown[] = [];
    const outcome = runPool(
      [0, 1, 2, 3],
      2,
      async (item) => {
        started.push(item);
        if (item === 0) {
          await slow.opened;
          finished.push(item);
          return;
        }
        throw new Error(`item ${item} failed`);
      },
      { onFirstError: (error) => seen.push(error) },
    );
    await expect(Promise.race([outcome, Promise.resolve("pending")])).resolves.toBe("pending");
    slow.open();
    await expect(outcome).rejects.toThrow("item 1 failed");
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([0]);
    expect(seen).toHaveLength(1);
  });

  it("starts nothing once the signal aborts", async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await runPool(
      [0, 1, 2],
      1,
      async (item) => {
        started.push(item);
        controller.abort();
      },
      { signal: controller.signal },
    );
    expect(started).toEqual([0]);
  });
});
