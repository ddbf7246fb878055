// Entry instants: ISO 8601 basic to the second, read back in either form, never lost.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseInstant } from "../../src/mcp/filter.js";
import { entryInstant, parseEntryInstant, readableInstant } from "../../src/mcp/instant.js";

describe("entry instants", () => {
  it("keep every instant to the second, whatever form the API wrote it in", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1980-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }),
        (date) => {
          const written = entryInstant(date.toISOString());
          expect(written).toMatch(/^\d{8}T\d{6}Z$/);
          expect(parseEntryInstant(written)).toBe(Math.floor(date.getTime() / 1000) * 1000);
        },
      ),
    );
    expect(entryInstant("2026-02-03T10:16:30.999+01:00")).toBe("20260203T091630Z");
  });

  it("pass on what no one can read instead of dropping it", () => {
    expect(entryInstant("last Tuesday")).toBe("last Tuesday");
    expect(readableInstant("last Tuesday")).toBe("last Tuesday");
  });

  it("read as a day or a minute in text lines", () => {
    expect(readableInstant("20260203T091630Z")).toBe("2026-02-03");
    expect(readableInstant("2026-02-03T09:16:30.120Z", "minute")).toBe("2026-02-03 09:16");
  });

  it("are accepted back as modified_before / modified_after", () => {
    const now = Date.now();
    expect(parseInstant("modified_before", "20260203T091630Z", now)).toBe(Date.parse("2026-02-03T09:16:30Z"));
    expect(parseInstant("modified_before", "2026-02-03", now)).toBe(Date.parse("2026-02-03"));
    expect(() => parseInstant("modified_before", "20260203T0916Z", now)).toThrow(/not an age or a date/);
  });
});
