// Local-disk fixtures for the hardening and soak suites: hostile zips built byte by byte,
// deterministic test data, and folder scans. No MCP, no sandbox: usable on their own.
import { createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";

/** Every path under a folder, relative with forward slashes, sorted (folders too). */
export async function listTree(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { recursive: true });
  return entries.map((entry) => entry.split(path.sep).join("/")).sort();
}

/** Names that look like a download's or upload's leftovers: hidden temp files, *.partial, *.tmp. */
export function isTempName(relativePath: string): boolean {
  const base = relativePath.split("/").pop() ?? "";
  return /\.(partial|tmp|part|download)$/i.test(base) || /^\.(?!gitkeep$)/.test(base);
}

export interface ZipItem {
  /** Stored as is, even when yazl would refuse it (`../x`, `/etc/x`, `C:\x`). */
  name: string;
  content?: string | Buffer;
  /** Unix mode, e.g. 0o120777 for a symbolic link (content = link target). */
  mode?: number;
  /** Deflate the content (a zip bomb is a long run of zeros, compressed). */
  compress?: boolean;
  /** Patch the central directory to claim this uncompressed size (a lying header). */
  claimedSizeBytes?: number;
}

/**
 * Writes a zip with exactly the entry names given. yazl refuses hostile names, so each is
 * written as a placeholder of the same byte length and patched into the headers afterwards.
 */
export async function writeHostileZip(zipPath: string, items: ZipItem[]): Promise<void> {
  const zip = new yazl.ZipFile();
  const namePatches: [string, string][] = [];
  const sizePatches: [string, number][] = [];
  items.forEach((item, index) => {
    const placeholder = `#${index}#`.padEnd(Buffer.byteLength(item.name), "~");
    if (Buffer.byteLength(placeholder) !== Buffer.byteLength(item.name)) {
      throw new Error(`entry name too short for a placeholder: ${item.name}`);
    }
    namePatches.push([placeholder, item.name]);
    if (item.claimedSizeBytes !== undefined) sizePatches.push([placeholder, item.claimedSizeBytes]);
    zip.addBuffer(Buffer.from(item.content ?? `content of entry ${index}`), placeholder, {
      mode: item.mode,
      compress: item.compress ?? false,
    });
  });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
  const bytes = await fs.readFile(zipPath);
  // Central directory records: signature 0x02014b50; uncompressed size at +24, name at +46.
  for (let offset = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); offset !== -1; ) {
    const nameLength = bytes.readUInt16LE(offset + 28);
    const name = bytes.subarray(offset + 46, offset + 46 + nameLength).toString("latin1");
    const claimed = sizePatches.find(([placeholder]) => placeholder === name);
    if (claimed) bytes.writeUInt32LE(claimed[1], offset + 24);
    offset = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), offset + 46);
  }
  let patched = bytes.toString("latin1");
  for (const [placeholder, name] of namePatches) {
    patched = patched.split(placeholder).join(Buffer.from(name, "utf8").toString("latin1"));
  }
  await fs.writeFile(zipPath, Buffer.from(patched, "latin1"));
}

/** A deterministic byte pattern (cheap to generate, differs per seed and position). */
export function patternBytes(sizeBytes: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(sizeBytes);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < sizeBytes; index += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    if (index + 4 <= sizeBytes) bytes.writeUInt32LE(state, index);
    else
      for (let tail = index; tail < sizeBytes; tail += 1)
        bytes[tail] = (state >>> (8 * (tail - index))) & 0xff;
  }
  return bytes;
}

/**
 * A zip of one stored body and `count` central-directory entries that all point at it: a few KB
 * of archive that would write count × body bytes (the overlapping-entry zip bomb).
 */
export async function writeOverlappingZip(zipPath: string, count: number, body: Buffer): Promise<void> {
  const { crc32 } = await import("node:zlib");
  const checksum = crc32(body);
  const localName = Buffer.from("body.bin");
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x21, 12); // 1980-01-01
  local.writeUInt32LE(checksum, 14);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(body.length, 22);
  local.writeUInt16LE(localName.length, 26);
  const central: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    const name = Buffer.from(`copy-${String(index).padStart(3, "0")}.bin`);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(0x21, 14);
    record.writeUInt32LE(checksum, 16);
    record.writeUInt32LE(body.length, 20);
    record.writeUInt32LE(body.length, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt32LE(0, 42); // every entry's data is the one body at offset 0
    central.push(record, name);
  }
  const centralBytes = Buffer.concat(central);
  const centralOffset = local.length + localName.length + body.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  await fs.writeFile(zipPath, Buffer.concat([local, localName, body, centralBytes, end]));
}
