// How far V8 lets the old generation grow past what a full collection kept before it starts the
// next one: the one owner of `--heap-growing-percent`, which V8 reads at every full collection.
//
// Left to itself, V8 lets the old generation grow up to 4× its live size, until its memory
// reducer runs (on a server idle for ~8 s, so in every long-lived one): from then on it allows
// 1.3×, or 8 MB on a heap as small as this server's (~15 MB). But the ArrayBuffers a download
// or grep streams through count towards that room too, and once the room is smaller than the
// young generation, V8 starts the next full collection as soon as one ends: measured, ~620 of
// them while streaming 7 GiB, and a download 1.5× / grep 1.9× as slow as a raw GET, against
// 5 collections and 0.5× / 1.1× with room kept (bench/download.ts, bench/read-file.ts).
//
// So after every full collection the server asks for a fixed room: 48 MB above what it kept,
// never less than V8's own 1.3× nor more than its 4×. While a tree walk runs the room is 1.5×:
// a walk's pages, parsed and dropped, would fill any room before it is collected (find_files
// over 50,000 entries: ~140 MB peak RSS at V8's default, ~106 MB at 1.5×; 1.25× and 1.75×
// measured higher).
import { constants, PerformanceObserver } from "node:perf_hooks";
import { getHeapStatistics, setFlagsFromString } from "node:v8";

/** The old generation's room above what the last full collection kept, outside walks. */
export const ROOM_BYTES = 48 * 1024 * 1024;
/** V8's own bounds on the factor: its conservative growth (1.3×) and its largest (4×). */
const MIN_PERCENT = 30;
const MAX_PERCENT = 300;
/** The growth while any walk runs (1.5×). */
export const WALK_PERCENT = 50;

/** The percent that gives `liveBytes` the room, within V8's own bounds. */
export function roomPercent(liveBytes: number): number {
  const percent = Math.ceil((ROOM_BYTES / Math.max(liveBytes, 1)) * 100);
  return Math.min(MAX_PERCENT, Math.max(MIN_PERCENT, percent));
}

/** Where the policy goes: V8's flags; a test seam. */
export const heapFlags = { set: (flags: string) => setFlagsFromString(flags) };

let walksRunning = 0;
/** 0: V8 chooses (before keepRoomAfterCollections starts, and after it stops). */
let percentOutsideWalks = 0;
let applied: number | undefined;

function apply(): void {
  const percent = walksRunning > 0 ? WALK_PERCENT : percentOutsideWalks;
  if (percent === applied) return;
  applied = percent;
  heapFlags.set(`--heap-growing-percent=${percent}`);
}

/**
 * Keeps the room after each full collection, from what it kept; the server starts this once.
 * Returns what stops it (V8 chooses again).
 */
export function keepRoomAfterCollections(): () => void {
  const update = () => {
    percentOutsideWalks = roomPercent(getHeapStatistics().used_heap_size);
    apply();
  };
  const observer = new PerformanceObserver((list) => {
    // Node gives each gc entry a `detail.kind` its typings leave out.
    const entries = list.getEntries() as unknown as { detail?: { kind?: number } }[];
    if (entries.some((entry) => entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) update();
  });
  observer.observe({ entryTypes: ["gc"] });
  update();
  return () => {
    observer.disconnect();
    percentOutsideWalks = 0;
    apply();
  };
}

/** Holds the walk's growth until the returned function is called (walks may overlap). */
export function capGrowthWhileWalking(): () => void {
  walksRunning += 1;
  apply();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    walksRunning -= 1;
    apply();
  };
}
