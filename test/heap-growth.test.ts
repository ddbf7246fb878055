// The old generation's growth: a fixed room after each full collection (within V8's own bounds),
// 1.5× while a walk runs, V8's choice once stopped. Real collections drive the policy; V8's flags
// are recorded through the seam rather than set.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  capGrowthWhileWalking,
  heapFlags,
  keepRoomAfterCollections,
  ROOM_BYTES,
  roomPercent,
  WALK_PERCENT,
} from "../src/heap-growth.js";

const MiB = 1024 * 1024;

setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

describe("roomPercent", () => {
  it("asks for the room above what was kept, no less than 1.3× and no more than 4×", () => {
    expect(roomPercent(24 * MiB)).toBe(200);
    expect(roomPercent(ROOM_BYTES)).toBe(100);
    expect(roomPercent(96 * MiB)).toBe(50);
    expect(roomPercent(8 * MiB)).toBe(300);
    expect(roomPercent(0)).toBe(300);
    expect(roomPercent(1024 * MiB)).toBe(30);
  });
});

describe("the policy", () => {
  const flags: string[] = [];
  const set = heapFlags.set;
  beforeEach(() => {
    flags.length = 0;
    heapFlags.set = (value) => flags.push(value);
  });
  afterEach(() => {
    heapFlags.set = set;
  });

  it("follows what each full collection keeps, gives walks their growth, and hands back to V8", async () => {
    const percent = (flag: string | undefined) => Number(flag?.replace("--heap-growing-percent=", ""));
    const stop = keepRoomAfterCollections();
    try {
      // Started: the room for the heap as it is.
      expect(flags).toHaveLength(1);
      expect(percent(flags[0])).toBeGreaterThanOrEqual(30);

      // A full collection that keeps ~160 MB more: the room is now the least share V8 allows.
      // (Collections V8 runs on its own on the way change nothing that is asserted.)
      let kept: unknown[] | undefined = Array.from({ length: 160 }, () => new Array(128 * 1024).fill(1.5));
      collect();
      await vi.waitFor(() => expect(flags.at(-1)).toBe("--heap-growing-percent=30"), {
        interval: 5,
        timeout: 5000,
      });

      // A walk runs (two overlap): 1.5× until the last ends, then the room again, as last computed.
      const before = flags.length;
      const first = capGrowthWhileWalking();
      const second = capGrowthWhileWalking();
      first();
      first();
      expect(flags.slice(before)).toEqual([`--heap-growing-percent=${WALK_PERCENT}`]);
      second();
      expect(flags.slice(before)).toEqual([
        `--heap-growing-percent=${WALK_PERCENT}`,
        "--heap-growing-percent=30",
      ]);

      // What was kept is dropped: the next full collection gives the room back a larger share.
      kept = undefined;
      collect();
      await vi.waitFor(() => expect(percent(flags.at(-1))).toBeGreaterThan(30), {
        interval: 5,
        timeout: 5000,
      });
      expect(kept).toBeUndefined();
    } finally {
      stop();
    }
    expect(flags.at(-1)).toBe("--heap-growing-percent=0");
  });
});
