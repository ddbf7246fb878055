// The shared filter's parsers: the ages, dates, sizes and globs find_files and delete_files
// accept, and errors that show a form that works.
import { describe, expect, it } from "vitest";
import { buildFilter, type FilterArgs, parseInstant, parseSize } from "../../src/mcp/housekeeping/filter.js";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const base: FilterArgs = { location: "shared", parent_id: 0, max_depth: 20 };
const file = (name: string, size: number | null, modified: string | null) => ({
  name,
  kind: "file" as const,
  size,
  modified,
});

describe("the shared filter", () => {
  it("reads ages relative to now and ISO dates", () => {
    expect(parseInstant("modified_before", "30d", NOW)).toBe(NOW - 30 * 86_400_000);
    expect(parseInstant("modified_before", "90m", NOW)).toBe(NOW - 90 * 60_000);
    expect(parseInstant("modified_before", "12h", NOW)).toBe(NOW - 12 * 3_600_000);
    expect(parseInstant("modified_before", "2w", NOW)).toBe(NOW - 14 * 86_400_000);
    expect(parseInstant("modified_after", "2026-11-01", NOW)).toBe(Date.parse("2026-11-01"));
    expect(parseInstant("modified_after", "2026-11-01T08:00:00Z", NOW)).toBe(
      Date.parse("2026-11-01T08:00:00Z"),
    );
  });

  it("refuses what it can't read, showing forms it accepts", () => {
    expect(() => parseInstant("modified_before", "30 days", NOW)).toThrow(/'30 days'.*write 30d.*2026-11-01/);
    expect(() => parseInstant("modified_before", "yesterday", NOW)).toThrow(/write 30d/);
    expect(() => parseSize("min_size", "big")).toThrow(/'big'.*500MB, 2GiB/);
    expect(() => parseSize("min_size", -1)).toThrow(/whole bytes/);
  });

  it("reads sizes in bytes or with binary units", () => {
    expect(parseSize("min_size", 1234)).toBe(1234);
    expect(parseSize("min_size", "500MB")).toBe(500 * 1024 ** 2);
    expect(parseSize("min_size", "2GiB")).toBe(2 * 1024 ** 3);
    expect(parseSize("min_size", "1.5 gb")).toBe(1.5 * 1024 ** 3);
    expect(parseSize("min_size", "10KB")).toBe(10_240);
    expect(parseSize("min_size", "42 bytes")).toBe(42);
  });

  it("matches globs case-insensitively on the name, sizes only on files", async () => {
    const filter = await buildFilter(
      { ...base, name: "*.MP4", min_size: "1MB", modified_before: "30d" },
      NOW,
    );
    expect(filter.narrowed).toBe(true);
    expect(filter.matches(file("rec-1.mp4", 2 * 1024 ** 2, "2026-10-01T00:00:00Z"))).toBe(true);
    expect(filter.matches(file("rec-1.mp4", 2 * 1024 ** 2, "2026-11-30T00:00:00Z"))).toBe(false);
    expect(filter.matches(file("rec-1.mp4", 1_000, "2026-10-01T00:00:00Z"))).toBe(false);
    expect(filter.matches(file("rec-1.mov", 2 * 1024 ** 2, "2026-10-01T00:00:00Z"))).toBe(false);
    expect(
      filter.matches({ name: "x.mp4", kind: "directory", size: null, modified: "2026-10-01T00:00:00Z" }),
    ).toBe(false);
    const classes = await buildFilter({ ...base, name: "frame-00[12]?.exr" }, NOW);
    expect(classes.matches(file("frame-0013.exr", 1, null))).toBe(true);
    expect(classes.matches(file("frame-0031.exr", 1, null))).toBe(false);
    expect((await buildFilter(base, NOW)).narrowed).toBe(false);
  });
});
