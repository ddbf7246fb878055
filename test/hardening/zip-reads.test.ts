// Issue 19 item 7: read_file's zip path had no cap: a 2 MB member expanding to 2 GiB cost 8.5 s
// for tail and 34 s for grep, and a 172 MB central directory was held whole per call. Now the
// modes that unpack a member to its end (tail, offset, grep) obey extraction's ratio rule and a
// per-call bound, the first lines still cost only what they return, and the central directory
// is read through a window of a few blocks. Hostile zips are generated here, small: a bomb is a
// highly compressible member, a lying header a patched size.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { BlockCache, MAX_CACHED_BLOCKS } from "../../src/mcp/reading/zip.js";
import type { RangedReader } from "../../src/vagon/ranged-reader.js";
import { toolText, useHarness } from "../helpers/harness.js";
import { patternBytes, writeHostileZip } from "./fixtures.js";

const MIB = 1024 * 1024;

const { harness, sandbox } = useHarness();
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "zip-reads-"));
});

afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

async function zipOf(members: { name: string; content: Buffer }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const member of members) zip.addBuffer(member.content, member.name, { compress: true });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("read_file on a hostile zip", () => {
  it("refuses to unpack a bomb member for tail or grep, and still shows its first lines", async () => {
    // 64 MiB of one letter deflates to ~64 KB: 1,000×, far past the 200× a real file reaches.
    const bomb = await zipOf([{ name: "logs/huge.log", content: Buffer.alloc(64 * MIB, "aaaaaaa\n") }]);
    const fileId = await sandbox.addFile({ parentId: sandbox.rootId(), name: "bomb.zip", content: bomb });
    for (const mode of [{ tail: 10 }, { grep: "b" }, { offset: 60 * MIB, length: 100 }]) {
      const result = await harness.callTool("read_file", {
        file_id: fileId,
        entry: "logs/huge.log",
        ...mode,
      });
      expect(result.isError, JSON.stringify(mode)).toBe(true);
      expect(toolText(result)).toMatch(/isn't unpacked here: it would expand \d+× .*zip bomb/);
    }
    const head = await harness.callTool("read_file", { file_id: fileId, entry: "logs/huge.log", head: 2 });
    expect(head.isError, toolText(head)).toBeFalsy();
    expect(toolText(head)).toContain("aaaa");
  });

  it("refuses a member that unpacks past the per-call bound, even at a plausible ratio", async () => {
    // 4 MiB deflated (barely: the bytes are noise), claiming 700 MiB: 175×, under the bomb ratio, over what one call unpacks.
    const zipPath = path.join(workDir, "claims.zip");
    await writeHostileZip(zipPath, [
      { name: "big.csv", content: patternBytes(4 * MIB, 7), compress: true, claimedSizeBytes: 700 * MIB },
    ]);
    const fileId = await sandbox.addFile({
      parentId: sandbox.rootId(),
      name: "claims.zip",
      content: await fs.readFile(zipPath),
    });
    const tail = await harness.callTool("read_file", { file_id: fileId, entry: "big.csv", tail: 5 });
    expect(tail.isError, toolText(tail)).toBe(true);
    expect(toolText(tail)).toMatch(
      /unpacks to 700(\.0)? MB, more than the 512(\.0)? MB read_file unpacks in one call/,
    );
  });
});

describe("the central directory window", () => {
  it("holds a few blocks at a time however far the reads go", async () => {
    let fetched = 0;
    const reader = {
      sizeBytes: 200 * MIB,
      read: async (start: number, length: number) => {
        fetched++;
        return Buffer.alloc(Math.min(length, 200 * MIB - start), 1);
      },
    } as unknown as RangedReader;
    const cache = new BlockCache(reader);
    let peak = 0;
    // Front to back over 100 MiB in 64 KiB steps, as yauzl reads a directory.
    for (let offset = 0; offset < 100 * MIB; offset += 64 * 1024) {
      const bytes = await cache.read(offset, offset + 64 * 1024);
      expect(bytes.length).toBe(64 * 1024);
      peak = Math.max(peak, cache.size);
    }
    expect(peak).toBeLessThanOrEqual(MAX_CACHED_BLOCKS);
    // Each block was fetched once: the window follows the reads.
    expect(fetched).toBe(400);
  });
});

describe("a zip claiming more members than a call looks through", () => {
  it("is listed, but finding a member or listing a folder is refused before any entry is read", async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from("hello"), "docs/a.txt");
    zip.end({ forceZip64Format: true, comment: "" });
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    // The zip64 end record (0x06064b50) counts entries at +24 (this disk) and +32 (total).
    const record = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
    bytes.writeBigUInt64LE(200_000n, record + 24);
    bytes.writeBigUInt64LE(200_000n, record + 32);
    const fileId = await sandbox.addFile({ parentId: sandbox.rootId(), name: "many.zip", content: bytes });
    for (const entry of ["docs/a.txt", "docs/"]) {
      const result = await harness.callTool("read_file", { file_id: fileId, entry });
      expect(result.isError, entry).toBe(true);
      expect(toolText(result)).toMatch(
        /holds 200,000 members, more than the 100,000 read_file looks through/,
      );
    }
  });
});
