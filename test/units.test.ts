// Counts and sizes as every text says them, without Intl: the server's first use of Intl maps
// ~7.5 MB of ICU locale data into the process for good (bench/housekeeping.ts measured it).
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatBytes, groupDigits } from "../src/units.js";

describe("units", () => {
  it("groups digits as en-US does", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.boolean(), (value, negative) => {
        const count = negative && value > 0 ? -value : value;
        expect(groupDigits(count)).toBe(count.toLocaleString("en-US"));
      }),
    );
    expect(groupDigits(1234567)).toBe("1,234,567");
    expect(groupDigits(999)).toBe("999");
  });

  it("writes sizes in words, or compact for a listing's column", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(512, { compact: true })).toBe("512B");
    expect(formatBytes(1536, { compact: true })).toBe("1.5K");
    expect(formatBytes(26843545600, { compact: true })).toBe("25G");
  });

  it("leaves Intl out of the shipped server and grep worker (npm test builds dist/ first)", () => {
    for (const file of ["dist/server.cjs", "dist/grep-worker.cjs"]) {
      const bundle = readFileSync(path.resolve(file), "utf8");
      expect(bundle, file).not.toMatch(/\.toLocaleString\(|\bIntl\.|toLocaleDateString|toLocaleTimeString/);
    }
  });
});
