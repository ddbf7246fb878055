// The one glob matcher (find_files/delete_files `name`, upload_file `exclude`) runs in time
// linear in the name whatever the pattern: the work of every match is counted through the
// matcher's step counter (no clock), over generated worst cases. And on small everyday inputs
// it agrees with picomatch, the reference for the syntax the docs promise.
import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { compileGlob, type GlobWork, MAX_GLOB_LENGTH } from "../../src/mcp/housekeeping/glob.js";

/** The bound the matcher promises: each character visits each state at most twice. */
function stepBound(textLength: number, stateCount: number): number {
  return (2 * textLength + 1) * stateCount;
}

/** Pieces that make backtracking matchers explode. */
const hostilePiece = fc.constantFrom(
  "*",
  "**",
  "?",
  "a",
  "*a",
  "a*",
  "{*,*}",
  "{*a,a*}",
  "{a,{*,{*a,?}}}",
  "[ab]",
  "[^b]",
  "**/",
  "/",
);

describe("globs in linear time", () => {
  it("the issue's {*,*}×8 against a 23-character name takes a bounded number of steps", () => {
    const glob = compileGlob("{*,*}".repeat(8), { nocase: true });
    const work: GlobWork = { steps: 0 };
    const name = `${"a".repeat(22)}!`;
    expect(glob.test(name, work)).toBe(true);
    expect(work.steps).toBeLessThanOrEqual(stepBound(name.length, glob.stateCount));
    expect(work.steps).toBeLessThan(2_000);
  });

  it("*a*a*a…b against aaaa… stays within (2n+1) × states steps", () => {
    const glob = compileGlob(`${"*a".repeat(100)}*b`, { nocase: true });
    const work: GlobWork = { steps: 0 };
    const text = "a".repeat(5_000);
    expect(glob.test(text, work)).toBe(false);
    expect(work.steps).toBeLessThanOrEqual(stepBound(text.length, glob.stateCount));
  });

  it("any generated pattern costs at most (2n+1) × states steps, and states grow linearly", () => {
    fc.assert(
      fc.property(
        fc.array(hostilePiece, { minLength: 1, maxLength: 60 }),
        fc.stringMatching(/^[ab/]{0,300}$/),
        fc.boolean(),
        (pieces, text, nocase) => {
          const pattern = pieces.join("");
          const glob = compileGlob(pattern, { nocase });
          expect(glob.stateCount).toBeLessThanOrEqual(3 * pattern.length + 1);
          const work: GlobWork = { steps: 0 };
          glob.test(text, work);
          expect(work.steps).toBeLessThanOrEqual(stepBound(text.length, glob.stateCount));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("deeply nested braces and patterns past the length cap are refused, not run", () => {
    expect(() => compileGlob(`${"{a,".repeat(11)}b${"}".repeat(11)}`)).toThrow(/nests braces/);
    expect(() => compileGlob("*".repeat(MAX_GLOB_LENGTH + 1))).toThrow(/characters long/);
    expect(compileGlob(`${"{a,".repeat(10)}b${"}".repeat(10)}`).test("b")).toBe(true);
  });
});

/** Everyday pieces whose meaning picomatch and the docs agree on. */
const everydayPiece = fc.constantFrom(
  "a",
  "b",
  "A",
  ".",
  "-",
  "*",
  "?",
  "[ab]",
  "[a-c]",
  "[^a]",
  "{a,b}",
  "{a*,b?}",
  "{x,{a,b}c}",
  "{a}",
  "{x,{b}}",
  "\\*",
);
// Left out where picomatch has quirks of its own, beyond the documented syntax: "." and ".."
// segments (it drops a leading "./"), "**" inside a segment, and the exact pattern "*.*", which
// picomatch special-cases so that it doesn't match "a." (a shell's glob does, and so do we; "a.*"
// matches "a." in picomatch too).
const segment = fc
  .array(everydayPiece, { minLength: 1, maxLength: 4 })
  .map((pieces) => pieces.join(""))
  .filter((text) => text !== "." && text !== ".." && !text.includes("**") && text !== "*.*");
const literalSegment = fc.stringMatching(/^[ab][abAB.-]{0,4}$/);
const pathPattern = fc.oneof(
  segment,
  fc.tuple(segment, segment).map(([first, second]) => `${first}/${second}`),
  segment.map((last) => `**/${last}`),
  literalSegment.map((first) => `${first}/**`),
  fc.tuple(segment, segment).map(([first, last]) => `${first}/**/${last}`),
);
const nameText = fc.stringMatching(/^[abcAB.\-*x]{1,6}$/).filter((name) => name !== "." && name !== "..");
const pathText = fc.array(nameText, { minLength: 1, maxLength: 3 }).map((segments) => segments.join("/"));

describe("globs agree with picomatch on everyday patterns", () => {
  it("names, in any case (the find_files/delete_files filter)", () => {
    fc.assert(
      fc.property(segment, nameText, (pattern, name) => {
        const expected = picomatch(pattern, { dot: true, nocase: true })(name);
        expect(compileGlob(pattern, { nocase: true }).test(name), `${pattern} vs ${name}`).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("relative paths, case-sensitive (upload_file exclude)", () => {
    fc.assert(
      fc.property(pathPattern, pathText, (pattern, relativePath) => {
        const expected = picomatch(pattern, { dot: true })(relativePath);
        expect(compileGlob(pattern).test(relativePath), `${pattern} vs ${relativePath}`).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
