// Entry instants: UTC to the second, whatever form the API wrote them in, never lost.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { entryInstant } from "../../src/mcp/instant.js";

describe("entry instants", () => {
  it("keep every instant to the second, in a form Date.parse reads", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1980-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }),
        (date) => {
          const written = entryInstant(date.toISOString());
          expect(written).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
          expect(Date.parse(written)).toBe(Math.floor(date.getTime() / 1000) * 1000);
        },
      ),
    );
    expect(entryInstant("2026-02-03T10:16:30.999+01:00")).toBe("2026-02-03T09:16:30Z");
  });

  it("pass on what no one can read instead of dropping it", () => {
    expect(entryInstant("last Tuesday")).toBe("last Tuesday");
  });
});
