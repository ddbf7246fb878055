// A hostile bundle: entry names that climb out, absolute and drive paths, links, duplicates and
// zip bombs. Extraction must write nothing outside save_to, stop at a size cap, never overwrite,
// and report every entry it skipped with a reason.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CheckedPath } from "../../src/local/containment.js";
import { extractZip } from "../../src/local/extract.js";
import { checkedByTest } from "../helpers/checked-path.js";
import { listTree, patternBytes, writeHostileZip } from "./fixtures.js";

const MIB = 1024 * 1024;

let workDir: string;
let destDir: CheckedPath;
let zipPath: CheckedPath;

beforeEach(async () => {
  workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-hostile-zip-")));
  destDir = checkedByTest(path.join(workDir, "save-to"));
  zipPath = checkedByTest(path.join(workDir, "bundle.zip"));
  await fs.mkdir(destDir);
  await fs.mkdir(path.join(workDir, "etc"));
  await fs.writeFile(path.join(workDir, "etc", "passwd"), "root:x:0:0");
});

afterEach(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

/** Everything under workDir but save_to, with contents: must not change during extraction. */
async function snapshotOutsideDest(): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  for (const relative of await listTree(workDir)) {
    if (relative === "save-to" || relative.startsWith("save-to/") || relative === "bundle.zip") continue;
    const full = path.join(workDir, relative);
    const stats = await fs.lstat(full);
    snapshot[relative] = stats.isFile()
      ? await fs.readFile(full, "utf8")
      : stats.isDirectory()
        ? "<dir>"
        : "<link>";
  }
  return snapshot;
}

describe("extracting a hostile bundle", () => {
  it("writes nothing outside save_to, never overwrites, and reports every skipped entry", async () => {
    await fs.writeFile(path.join(destDir, "keep.txt"), "the user's own file");
    await writeHostileZip(zipPath, [
      { name: "../x.txt", content: "climbs one level" },
      { name: "../../etc/passwd", content: "pwned" },
      { name: "/etc/passwd", content: "absolute" },
      { name: "C:\\x.txt", content: "drive letter" },
      { name: "C:/Windows/x.txt", content: "drive letter, forward slashes" },
      { name: "..\\..\\etc\\passwd", content: "windows separators climbing" },
      { name: "ok/../../x.txt", content: "climbs after a folder" },
      { name: "escape", content: "../../etc", mode: 0o120777 },
      { name: "escape/passwd", content: "through the link" },
      { name: "abs-link", content: "/etc/passwd", mode: 0o120777 },
      { name: "dup.txt", content: "first" },
      { name: "dup.txt", content: "second" },
      { name: "keep.txt", content: "would overwrite" },
      { name: "outputs/result.csv", content: "a,b\n1,2\n" },
    ]);
    const before = await snapshotOutsideDest();

    const result = await extractZip(zipPath, destDir);

    expect(await snapshotOutsideDest()).toEqual(before);
    expect(await fs.readFile(path.join(workDir, "etc", "passwd"), "utf8")).toBe("root:x:0:0");
    // Inside save_to: only regular files and folders, and the user's file untouched.
    for (const relative of await listTree(destDir)) {
      const stats = await fs.lstat(path.join(destDir, relative));
      expect(stats.isSymbolicLink(), relative).toBe(false);
    }
    expect(await fs.readFile(path.join(destDir, "keep.txt"), "utf8")).toBe("the user's own file");
    expect(await fs.readFile(path.join(destDir, "dup.txt"), "utf8")).toBe("first");
    expect(await fs.readFile(path.join(destDir, "dup (1).txt"), "utf8")).toBe("second");
    expect(await fs.readFile(path.join(destDir, "keep (1).txt"), "utf8")).toBe("would overwrite");

    const skippedNames = result.skipped.map((skip) => skip.entry);
    expect(skippedNames).toEqual(
      expect.arrayContaining([
        "../x.txt",
        "../../etc/passwd",
        "/etc/passwd",
        "C:\\x.txt",
        "C:/Windows/x.txt",
        "..\\..\\etc\\passwd",
        "ok/../../x.txt",
        "escape",
        "abs-link",
      ]),
    );
    for (const skip of result.skipped) expect(skip.reason, skip.entry).toMatch(/\w{4,}/);
    // The entry under the refused link name may be written as a plain folder inside save_to, never through a link.
    const written = [...result.files].sort();
    expect(written).toEqual(
      expect.arrayContaining(["dup (1).txt", "dup.txt", "keep (1).txt", "outputs/result.csv"]),
    );
    for (const file of written) {
      const real = await fs.realpath(path.join(destDir, file));
      expect(real.startsWith(`${destDir}${path.sep}`), file).toBe(true);
    }
  });

  it("refuses a compressed zip bomb by its declared size, before writing a byte", async () => {
    await writeHostileZip(zipPath, [
      { name: "small.txt", content: "fits" },
      { name: "bomb.bin", content: Buffer.alloc(64 * MIB), compress: true },
    ]);
    expect((await fs.stat(zipPath)).size).toBeLessThan(MIB);

    const result = await extractZip(zipPath, destDir, { maxTotalBytes: 8 * MIB });

    expect(result.files).toEqual(["small.txt"]);
    expect(result.skipped).toEqual([{ entry: "bomb.bin", reason: expect.stringMatching(/limit/) }]);
    expect(await listTree(destDir)).toEqual(["small.txt"]);
    expect(result.totalBytes).toBe(4);
  });

  it("stops an entry whose header lies about its size mid-stream and removes the partial file", async () => {
    await writeHostileZip(zipPath, [
      { name: "liar.bin", content: Buffer.alloc(16 * MIB), compress: true, claimedSizeBytes: 1024 },
      { name: "after.txt", content: "still extracted" },
    ]);

    const result = await extractZip(zipPath, destDir, { maxTotalBytes: 64 * MIB });

    expect(result.skipped).toEqual([{ entry: "liar.bin", reason: expect.stringMatching(/zip bomb|header/) }]);
    expect(result.files).toEqual(["after.txt"]);
    expect(await listTree(destDir)).toEqual(["after.txt"]);
  });

  it("keeps the total written under the cap across many entries", async () => {
    const items = Array.from({ length: 12 }, (_, index) => ({
      name: `part-${String(index).padStart(2, "0")}.bin`,
      // Incompressible, so the compression-ratio cap doesn't refuse them first.
      content: patternBytes(2 * MIB, index),
      compress: true,
    }));
    await writeHostileZip(zipPath, items);

    const result = await extractZip(zipPath, destDir, { maxTotalBytes: 9 * MIB });

    expect(result.totalBytes).toBeLessThanOrEqual(9 * MIB);
    expect(result.files).toHaveLength(4);
    expect(result.skipped).toHaveLength(8);
    let onDisk = 0;
    for (const file of await listTree(destDir)) onDisk += (await fs.stat(path.join(destDir, file))).size;
    expect(onDisk).toBe(result.totalBytes);
  });
});
