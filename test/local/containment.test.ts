// The one containment check every local-disk caller uses (config, local paths, extraction).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isPathWithin, isPathWithinAllowedDirectories } from "../../src/local/containment.js";

describe("isPathWithinAllowedDirectories", () => {
  it.each([
    ["the root itself", "/data/root", true],
    ["a child", "/data/root/a/b.txt", true],
    ["a child whose name starts with two dots", "/data/root/..cache/x", true],
    ["a child named '...'", "/data/root/.../x", true],
    ["a sibling sharing the prefix", "/data/root-evil/x", false],
    ["the parent", "/data", false],
    ["a climb out, unnormalized", "/data/root/../secret", false],
    ["a relative path", "root/x", false],
    ["a NUL byte", "/data/root/x\0y", false],
    ["the empty string", "", false],
  ])("%s (POSIX)", (_label, candidate, expected) => {
    expect(isPathWithinAllowedDirectories(candidate, ["/data/root"], path.posix)).toBe(expected);
  });

  it("a root of / contains every absolute path, and no root contains nothing", () => {
    expect(isPathWithinAllowedDirectories("/etc/passwd", ["/"], path.posix)).toBe(true);
    expect(isPathWithinAllowedDirectories("/etc/passwd", [], path.posix)).toBe(false);
    expect(isPathWithinAllowedDirectories("/b/x", ["/a", "/b"], path.posix)).toBe(true);
  });

  it.each([
    ["a child, other case", "c:\\users\\ME\\Vagon\\x.txt", true],
    ["a child whose name starts with two dots", "C:\\Users\\me\\vagon\\..cache\\x", true],
    ["another drive", "D:\\Users\\me\\vagon\\x", false],
    ["a sibling sharing the prefix", "C:\\Users\\me\\vagon2\\x", false],
    ["a climb out", "C:\\Users\\me\\vagon\\..\\x", false],
  ])("%s (Windows)", (_label, candidate, expected) => {
    expect(isPathWithinAllowedDirectories(candidate, ["C:\\Users\\me\\vagon"], path.win32)).toBe(expected);
  });

  it("isPathWithin is the same check for one folder", () => {
    expect(isPathWithin("/data/root", "/data/root/..cache", path.posix)).toBe(true);
    expect(isPathWithin("/data/root", "/data/rooted", path.posix)).toBe(false);
  });
});
