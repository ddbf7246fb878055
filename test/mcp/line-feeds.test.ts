// line-feeds.wat counts the line breaks grep numbers its matches by: the committed bytes are what
// the .wat compiles to, and the count agrees with a byte-by-byte count wherever a batch starts and
// however long it is (the 16-byte steps, the 255-step lane runs and the tail all get exercised).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLineFeeds } from "../../scripts/wasm.mjs";
import { LINE_FEEDS_WASM } from "../../src/mcp/reading/line-feeds-wasm.js";

const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
const { countLineFeeds } = new WebAssembly.Instance(
  new WebAssembly.Module(Buffer.from(LINE_FEEDS_WASM, "base64")),
  {
    env: { memory },
  },
).exports as { countLineFeeds: (start: number, length: number) => number };

describe("line-feeds.wat", () => {
  it("is what line-feeds-wasm.ts holds (run `npm run wasm` after editing it)", async () => {
    expect(await compileLineFeeds()).toBe(LINE_FEEDS_WASM);
  });

  it("counts the line feeds of any span, as a byte-by-byte count does", () => {
    const view = new Uint8Array(memory.buffer);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 70_000 }),
        fc.nat({ max: 31 }),
        fc.integer({ min: 0, max: 255 }),
        (bytes, start, noise) => {
          // Mostly line feeds or mostly not: lanes fill up, and stay empty.
          const data = bytes.map((byte) => (byte < noise ? 10 : byte));
          view.set(data, start);
          expect(countLineFeeds(start, data.length)).toBe(data.filter((byte) => byte === 10).length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("counts 70,000 line feeds in a row without a lane wrapping", () => {
    new Uint8Array(memory.buffer).fill(10, 0, 70_000);
    expect(countLineFeeds(0, 70_000)).toBe(70_000);
    expect(countLineFeeds(3, 0)).toBe(0);
  });
});
