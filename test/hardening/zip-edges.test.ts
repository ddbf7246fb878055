// Hostile zips at the edges of what a file system takes: a 300-byte entry name or 2,100 nested
// folders used to abort the whole extraction with ENAMETOOLONG; 100 entries pointing at one
// 5 MiB body (10 KB of zip) wrote 500 MB. Through the real server (the zip is a stored file,
// downloaded with extract) and, for the limits needing a chosen disk, extractZip itself.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extractZip, MAX_COMPRESSION_RATIO } from "../../src/local/extract.js";
import { checkedByTest } from "../helpers/checked-path.js";
import { toolText, useHarness } from "../helpers/harness.js";
import { listTree, patternBytes, writeHostileZip, writeOverlappingZip } from "./fixtures.js";

const MIB = 1024 * 1024;

const { harness, sandbox } = useHarness();
let scratch: string;

beforeEach(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-zip-edges-"));
});

afterEach(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function storeZip(name: string, build: (zipPath: string) => Promise<void>): Promise<number> {
  const zipPath = path.join(scratch, name);
  await build(zipPath);
  return sandbox.addFile({
    parentId: 0,
    name,
    content: await fs.readFile(zipPath),
    contentType: "application/zip",
  });
}

describe("extracting through download_files", () => {
  it("skips a 300-byte name and a 2,100-level path with a reason and extracts the rest", async () => {
    const longName = `${"n".repeat(300)}.txt`;
    const deepName = `${"d/".repeat(2_100)}deep.txt`;
    const fileId = await storeZip("edges.zip", (zipPath) =>
      writeHostileZip(zipPath, [
        { name: "before.txt", content: "kept" },
        { name: longName, content: "too long a name" },
        { name: deepName, content: "too deep" },
        { name: "after.txt", content: "kept too" },
      ]),
    );

    const result = await harness.callTool("download_files", {
      file_ids: [fileId],
      save_to: "edges",
      extract: true,
    });

    expect(result.isError, toolText(result)).toBeFalsy();
    const structured = result.structuredContent as {
      files: string[];
      skipped: { entry: string; reason: string }[];
    };
    expect(structured.files).toEqual(["before.txt", "after.txt"]);
    expect(structured.skipped.map((skip) => skip.reason)).toEqual([
      expect.stringMatching(/longer than 255 bytes/),
      expect.stringMatching(/2101 levels\) is longer than/),
    ]);
    expect(await listTree(path.join(harness.root, "edges"))).toEqual(["after.txt", "before.txt"]);
  });

  it("refuses a zip whose entries overlap before writing anything", async () => {
    const fileId = await storeZip("overlap.zip", (zipPath) =>
      writeOverlappingZip(zipPath, 100, patternBytes(5 * MIB, 7)),
    );

    const result = await harness.callTool("download_files", {
      file_ids: [fileId],
      save_to: "overlap",
      extract: true,
    });

    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/entries overlap/);
    // Only the downloaded zip is kept (as the error says), nothing extracted from it.
    expect(await listTree(path.join(harness.root, "overlap"))).toEqual(["overlap.zip"]);
  });
});

describe("extractZip's caps", () => {
  it(`skips an entry that would expand more than ${MAX_COMPRESSION_RATIO}× and keeps the rest`, async () => {
    const zipPath = path.join(scratch, "ratio.zip");
    await writeHostileZip(zipPath, [
      { name: "zeros.bin", content: Buffer.alloc(16 * MIB), compress: true },
      { name: "log.txt", content: "an ordinary line\n".repeat(1_000), compress: true },
    ]);
    const destination = path.join(scratch, "out");

    const result = await extractZip(checkedByTest(zipPath), checkedByTest(destination));

    expect(result.files).toEqual(["log.txt"]);
    expect(result.skipped).toEqual([
      { entry: "zeros.bin", reason: expect.stringMatching(/would expand \d+×/) },
    ]);
  });

  it("refuses an archive larger than the free space before writing a byte", async () => {
    const zipPath = path.join(scratch, "big.zip");
    await writeHostileZip(zipPath, [{ name: "data.bin", content: patternBytes(64 * 1024, 1) }]);
    const destination = path.join(scratch, "out");

    await expect(
      extractZip(checkedByTest(zipPath), checkedByTest(destination), { freeBytes: async () => 1_000 }),
    ).rejects.toThrow(/needs 64 KB but only 1,000 bytes is free/);
    expect(await listTree(destination)).toEqual([]);
  });
});
