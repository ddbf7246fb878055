// Entry instants: UTC to the second, whatever form the API wrote them in, never lost.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseInstant } from "../../src/mcp/housekeeping/filter.js";
import { entryInstant } from "../../src/mcp/kit/instant.js";

describe("entry instants", () => {
  it("keep every instant to the second, in a form Date.parse reads", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1980-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }),
        (date) => {
          const written = entryInstant(date.toISOString());
          expect(written).toMatch(/^\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UT$/);
          expect(Date.parse(written)).toBe(Math.floor(date.getTime() / 1000) * 1000);
          // Copied back into a filter, it means the same instant.
          expect(parseInstant("modified_before", written, 0)).toBe(Date.parse(written));
        },
      ),
    );
    expect(entryInstant("2026-02-03T10:16:30.999+01:00")).toBe("03 Feb 2026 09:16:30 UT");
    // As earlier versions wrote it, copied from an older result.
    expect(parseInstant("modified_before", "03 Feb 2026 09:16:30 GMT", 0)).toBe(
      Date.parse("2026-02-03T09:16:30Z"),
    );
  });

  it("pass on what no one can read instead of dropping it", () => {
    expect(entryInstant("last Tuesday")).toBe("last Tuesday");
  });
});
