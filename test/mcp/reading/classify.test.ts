// The one "is this text" rule: read_file and the vagon:// file resources ask the same question,
// so a content type one of them reads as text the other does too.
import { describe, expect, it } from "vitest";
import { classify, isTextType } from "../../../src/mcp/reading/classify.js";

describe("isTextType", () => {
  it.each([
    ["text/plain", true],
    ["text/csv; charset=utf-8", true],
    ["application/json", true],
    ["application/ld+json", true],
    ["image/svg+xml", true],
    ["application/x-ndjson", true],
    ["application/ndjson", true],
    ["application/x-yaml", true],
    ["application/yaml", true],
    ["application/toml", true],
    ["application/javascript", true],
    ["application/x-sh", true],
    ["application/sql", true],
    ["application/x-log", true],
    ["application/x-subrip", true],
    ["application/xml", true],
    ["application/octet-stream", false],
    ["application/zip", false],
    ["image/png", false],
    ["video/mp4", false],
    ["application/jsonx", false],
    [null, false],
  ] as const)("%s → %s", (contentType, text) => {
    expect(isTextType(contentType)).toBe(text);
  });

  it("decides read_file's fallback for bytes that are not UTF-8", () => {
    const latin1 = Buffer.from("caf\xe9 cr\xe8me", "latin1");
    expect(classify("notes", "application/x-log", latin1, true).kind).toBe("text");
    expect(classify("notes", "application/octet-stream", latin1, true).kind).toBe("binary");
  });
});
