import { createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import yazl from "yazl";
import type { CheckedPath } from "../../src/local/containment.js";
import { extractZip, safeEntryPath } from "../../src/local/extract.js";
import { withCopySuffix } from "../../src/local/files.js";
import { checkedByTest } from "../helpers/checked-path.js";

interface ZipItem {
  name: string;
  content?: string | Buffer;
  mode?: number;
  /** Generated stream of zeros instead of content (never held in memory). */
  zeroBytes?: number;
}

let workDir: string;
let destDir: CheckedPath;

beforeEach(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-extract-"));
  destDir = checkedByTest(path.join(workDir, "dest"));
});

afterEach(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

function zeros(totalBytes: number): Readable {
  const block = Buffer.alloc(1024 * 1024);
  let left = totalBytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const size = Math.min(left, block.length);
      left -= size;
      this.push(block.subarray(0, size));
    },
  });
}

/**
 * Writes a zip. yazl refuses hostile names, so each `hostileNames[i]` is written as a
 * placeholder of the same byte length and patched into the bytes afterwards (stored, not
 * compressed, so the placeholder only appears in the headers).
 */
async function writeZip(items: ZipItem[], zipName = "archive.zip"): Promise<CheckedPath> {
  const zip = new yazl.ZipFile();
  const patches: [string, string][] = [];
  items.forEach((item, index) => {
    let name = item.name;
    const safe = name.replace(/\\/g, "/");
    const hostile = safe.startsWith("/") || /^[a-zA-Z]:/.test(safe) || safe.split("/").includes("..");
    if (hostile) {
      const placeholder = `@${index}`.padEnd(Buffer.byteLength(name), "_");
      patches.push([placeholder, name]);
      name = placeholder;
    }
    const options = { mode: item.mode, compress: item.zeroBytes !== undefined };
    if (item.zeroBytes !== undefined) {
      zip.addReadStream(zeros(item.zeroBytes), name, { ...options, size: item.zeroBytes });
    } else {
      zip.addBuffer(Buffer.from(item.content ?? `content of ${item.name}`), name, options);
    }
  });
  zip.end();
  const zipPath = path.join(workDir, zipName);
  await pipeline(zip.outputStream, createWriteStream(zipPath));
  if (patches.length > 0) {
    let text = (await fs.readFile(zipPath)).toString("latin1");
    for (const [placeholder, name] of patches) text = text.split(placeholder).join(name);
    await fs.writeFile(zipPath, Buffer.from(text, "latin1"));
  }
  return checkedByTest(zipPath);
}

/** Every path under workDir, relative, forward slashes. */
async function listTree(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true });
  return entries.map((entry) => entry.split(path.sep).join("/")).sort();
}

describe("extractZip", () => {
  it("unpacks an ordinary archive with folders and reports every file written", async () => {
    const zipPath = await writeZip([
      { name: "report.txt", content: "quarterly numbers" },
      { name: "renders/frame-001.png", content: Buffer.from([137, 80, 78, 71]) },
      { name: "renders\\windows-style.txt", content: "backslash separators are folders" },
      { name: "empty.txt", content: "" },
    ]);
    const progress: [number, number][] = [];
    const result = await extractZip(zipPath, destDir, {
      onProgress: (done, total) => progress.push([done, total]),
    });

    expect(result.files.sort()).toEqual([
      "empty.txt",
      "renders/frame-001.png",
      "renders/windows-style.txt",
      "report.txt",
    ]);
    expect(result.skipped).toEqual([]);
    expect(await fs.readFile(path.join(destDir, "report.txt"), "utf8")).toBe("quarterly numbers");
    expect(await fs.readFile(path.join(destDir, "renders/windows-style.txt"), "utf8")).toBe(
      "backslash separators are folders",
    );
    expect(result.totalBytes).toBe(17 + 4 + 32);
    expect(progress.at(-1)).toEqual([4, 4]);
    expect(progress.map(([done]) => done)).toEqual([1, 2, 3, 4]);
  });

  it("refuses every entry that would land outside the destination and reports why", async () => {
    const zipPath = await writeZip([
      { name: "../x" },
      { name: "/etc/x" },
      { name: "C:\\x" },
      { name: "a/../../x" },
      { name: "..\\..\\evil.txt" },
      { name: "\\\\server\\share\\x" },
      { name: "link", content: "/etc/passwd", mode: 0o120777 },
      { name: "fine.txt", content: "kept" },
    ]);
    const result = await extractZip(zipPath, destDir);

    expect(result.files).toEqual(["fine.txt"]);
    const reasons = Object.fromEntries(result.skipped.map(({ entry, reason }) => [entry, reason]));
    expect(Object.keys(reasons).sort()).toEqual(
      ["../x", "/etc/x", "C:\\x", "a/../../x", "..\\..\\evil.txt", "\\\\server\\share\\x", "link"].sort(),
    );
    expect(reasons["../x"]).toMatch(/'\.\.'/);
    expect(reasons["/etc/x"]).toMatch(/absolute path/);
    expect(reasons["C:\\x"]).toMatch(/drive letter/);
    expect(reasons["\\\\server\\share\\x"]).toMatch(/absolute path/);
    expect(reasons.link).toMatch(/symbolic link/);
    // Nothing but the archive and the destination's one file exists in the work folder.
    expect(await listTree(workDir)).toEqual(["archive.zip", "dest", "dest/fine.txt"]);
    await expect(fs.access("/etc/x")).rejects.toThrow();
  });

  it("gives duplicate names and existing files a suffix instead of overwriting", async () => {
    await fs.mkdir(destDir);
    await fs.writeFile(path.join(destDir, "notes.txt"), "the user's own notes");
    const zipPath = await writeZip([
      { name: "notes.txt", content: "from the archive" },
      { name: "dup.txt", content: "first" },
      { name: "dup.txt", content: "second" },
    ]);
    const result = await extractZip(zipPath, destDir);

    expect(result.files).toEqual(["notes (1).txt", "dup.txt", "dup (1).txt"]);
    expect(await fs.readFile(path.join(destDir, "notes.txt"), "utf8")).toBe("the user's own notes");
    expect(await fs.readFile(path.join(destDir, "notes (1).txt"), "utf8")).toBe("from the archive");
    expect(await fs.readFile(path.join(destDir, "dup.txt"), "utf8")).toBe("first");
    expect(await fs.readFile(path.join(destDir, "dup (1).txt"), "utf8")).toBe("second");
  });

  it("does not follow a pre-existing folder link that leads outside the destination", async () => {
    const outside = path.join(workDir, "outside");
    await fs.mkdir(outside);
    await fs.mkdir(destDir);
    await fs.symlink(outside, path.join(destDir, "linked"), "dir");
    const zipPath = await writeZip([
      { name: "linked/payload.txt", content: "should not escape" },
      { name: "linked/deeper/payload.txt", content: "nor this" },
    ]);
    const result = await extractZip(zipPath, destDir);

    expect(result.files).toEqual([]);
    expect(result.skipped.map(({ reason }) => reason)).toEqual([
      expect.stringMatching(/link leading outside/),
      expect.stringMatching(/link leading outside/),
    ]);
    expect(await fs.readdir(outside)).toEqual([]);
  });

  it("stops a zip bomb at the size limit and removes what it started", async () => {
    const limitBytes = 8 * 1024 * 1024;
    const zipPath = await writeZip([
      { name: "small.txt", content: "before the bomb" },
      { name: "bomb.bin", zeroBytes: 200 * 1024 * 1024 },
      { name: "after.txt", content: "after the bomb" },
    ]);
    expect((await fs.stat(zipPath)).size).toBeLessThan(1024 * 1024);
    const result = await extractZip(zipPath, destDir, { maxTotalBytes: limitBytes });

    expect(result.files).toEqual(["small.txt", "after.txt"]);
    expect(result.skipped).toEqual([{ entry: "bomb.bin", reason: expect.stringMatching(/limit/) }]);
    expect(result.totalBytes).toBeLessThanOrEqual(limitBytes);
    await expect(fs.access(path.join(destDir, "bomb.bin"))).rejects.toThrow();
  });

  it("stops an entry whose header lies about its size, mid-stream", async () => {
    const zipPath = await writeZip([{ name: "liar.bin", zeroBytes: 20 * 1024 * 1024 }]);
    // Patch the central directory (what readers trust) to claim 1,000 bytes.
    const bytes = await fs.readFile(zipPath);
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE(1000, central + 24);
    await fs.writeFile(zipPath, bytes);

    const result = await extractZip(zipPath, destDir);

    expect(result.files).toEqual([]);
    expect(result.skipped).toEqual([
      { entry: "liar.bin", reason: expect.stringMatching(/more bytes than its header says/) },
    ]);
    expect(result.totalBytes).toBe(0);
    expect(await fs.readdir(destDir)).toEqual([]);
  });

  it("refuses an archive with more entries than allowed before writing anything", async () => {
    const zipPath = await writeZip([{ name: "a.txt" }, { name: "b.txt" }, { name: "c.txt" }]);
    await expect(extractZip(zipPath, destDir, { maxEntries: 2 })).rejects.toThrow(/3 entries.*limit of 2/);
    expect(await fs.readdir(destDir)).toEqual([]);
  });

  it("on abort removes the files and folders it wrote, keeping what was there", async () => {
    await fs.mkdir(destDir);
    await fs.writeFile(path.join(destDir, "existing.txt"), "mine");
    const zipPath = await writeZip([{ name: "one/a.txt" }, { name: "two/b.txt" }, { name: "three/c.txt" }]);
    const controller = new AbortController();
    const extraction = extractZip(zipPath, destDir, {
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    });
    await expect(extraction).rejects.toThrow(/abort/i);
    expect(await listTree(destDir)).toEqual(["existing.txt"]);
  });

  it("rejects a file that is not a zip", async () => {
    const notZip = path.join(workDir, "not.zip");
    await fs.writeFile(notZip, "this is plain text, not an archive");
    await expect(extractZip(checkedByTest(notZip), destDir)).rejects.toThrow();
  });
});

describe("safeEntryPath", () => {
  const nameChars = fc.constantFrom("a", "b", ".", "/", "\\", ":", "\0", "\n", " ", "C", "..");

  it("only ever yields plain segments that stay inside the destination", () => {
    fc.assert(
      fc.property(
        fc.array(nameChars, { maxLength: 12 }),
        fc.constantFrom("linux", "win32"),
        (parts, platform) => {
          const name = parts.join("");
          const planned = safeEntryPath(name, platform as NodeJS.Platform);
          if ("reason" in planned) return;
          const pathApi = platform === "win32" ? path.win32 : path.posix;
          const root = platform === "win32" ? "C:\\dest" : "/dest";
          const target = pathApi.resolve(root, ...planned.segments);
          expect(target === root || target.startsWith(root + pathApi.sep)).toBe(true);
          for (const segment of planned.segments) {
            expect(["", ".", ".."]).not.toContain(segment);
            expect(segment).not.toMatch(/[/\\\0\n]/);
            if (platform === "win32") expect(segment).not.toMatch(/[:]|[. ]$/);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("keeps Windows device names and stream names from becoming something else", () => {
    expect(safeEntryPath("logs/CON.txt", "win32")).toEqual({
      segments: ["logs", "_CON.txt"],
      isDirectory: false,
    });
    expect(safeEntryPath("file.txt:secret", "win32")).toEqual({
      segments: ["file.txt_secret"],
      isDirectory: false,
    });
    expect(safeEntryPath("file.txt:secret", "linux")).toEqual({
      segments: ["file.txt:secret"],
      isDirectory: false,
    });
  });

  it("numbers copies before the extension", () => {
    expect(withCopySuffix("report.pdf", 1)).toBe("report (1).pdf");
    expect(withCopySuffix(".env", 2)).toBe(".env (2)");
    expect(withCopySuffix("README", 0)).toBe("README");
  });
});
