import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { mulberry32 } from "../../src/sandbox/faults.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { createVagonClient } from "../../src/vagon/client.js";
import type { VagonClient } from "../../src/vagon/types.js";
import { chooseChunkSizeMb, UploadFailedError, uploadFile } from "../../src/vagon/upload.js";

const MIB = 1024 * 1024;

let sandbox: Sandbox;
let client: VagonClient;
let workDir: string;
let sharedRoot: number;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
  });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-upload-"));
  sharedRoot = sandbox.rootId(null);
});

afterAll(async () => {
  await client?.close();
  await sandbox?.close();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  sandbox.setFaults(null);
  sandbox.clearRequests();
});

async function writeRandomFile(
  name: string,
  sizeBytes: number,
): Promise<{ filePath: string; bytes: Buffer }> {
  const bytes = randomBytes(sizeBytes);
  const filePath = path.join(workDir, name);
  await fs.writeFile(filePath, bytes);
  return { filePath, bytes };
}

/**
 * The sandbox draws faults from a seeded generator, one draw per request (plus one to pick the
 * 5xx status when it hits). This finds the seed whose first `failures` PUTs fail and the rest pass.
 */
function seedFailingFirstPuts(failures: number, rate: number): number {
  for (let seed = 1; seed < 1_000_000; seed += 1) {
    const random = mulberry32(seed);
    let matches = true;
    for (let request = 0; request < failures + 8 && matches; request += 1) {
      const hit = random() < rate;
      if (hit) random();
      matches = hit === request < failures;
    }
    if (matches) return seed;
  }
  throw new Error("no seed found");
}

function partPuts() {
  return sandbox.requests.filter((entry) => entry.route === "s3-put");
}

describe("uploadFile", () => {
  it("uploads a 3-part file from disk and the bytes round-trip, with progress ending at the total", async () => {
    const { filePath, bytes } = await writeRandomFile("three-parts.bin", 11 * MIB + 123);
    const progress: number[] = [];
    const result = await uploadFile({
      client,
      source: { kind: "file", path: filePath },
      fileName: "three-parts.bin",
      contentType: "application/octet-stream",
      parentId: 0,
      chunkSizeMb: 5,
      onProgress: (sentBytes, totalBytes) => {
        expect(totalBytes).toBe(bytes.length);
        progress.push(sentBytes);
      },
    });

    expect(result).toMatchObject({ name: "three-parts.bin", sizeBytes: bytes.length, parts: 3 });
    expect(typeof result.uid).toBe("string");
    expect(result.downloadUrl).toMatch(/^http/);
    expect(sandbox.getEntry(result.id)).toMatchObject({
      status: "upload_completed",
      sizeBytes: bytes.length,
    });
    expect((await sandbox.readFile(result.id)).equals(bytes)).toBe(true);
    expect(partPuts().map((entry) => entry.status)).toEqual([200, 200, 200]);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(progress.length).toBeGreaterThan(3);
    for (let index = 1; index < progress.length; index += 1) {
      expect(progress[index]!).toBeGreaterThan(progress[index - 1]!);
    }
  });

  it("reads each part from an open handle through one buffer, and the bytes still round-trip", async () => {
    // 3 parts of 5 MiB (20 reads of 256 KiB each) sent at once: a part's buffer is refilled only
    // after the socket has flushed the chunk before (a new buffer per chunk left ~35 MB of
    // garbage over a folder upload).
    const { filePath, bytes } = await writeRandomFile("from-handle.bin", 14 * MIB + 777);
    const handle = await fs.open(filePath, "r");
    const buffersRead = new Set<ArrayBufferLike>();
    const read = handle.read.bind(handle) as (...args: unknown[]) => ReturnType<typeof handle.read>;
    const spied = new Proxy(handle, {
      get: (target, key) =>
        key === "read"
          ? (buffer: Buffer, ...rest: unknown[]) => {
              buffersRead.add(buffer.buffer);
              return read(buffer, ...rest);
            }
          : Reflect.get(target, key, target),
    });
    try {
      const result = await uploadFile({
        client,
        source: { kind: "file", path: filePath, handle: spied },
        fileName: "from-handle.bin",
        contentType: "application/octet-stream",
        parentId: 0,
        chunkSizeMb: 5,
        concurrency: 3,
      });
      expect(result.parts).toBe(3);
      expect((await sandbox.readFile(result.id)).equals(bytes)).toBe(true);
      expect(buffersRead.size).toBeLessThanOrEqual(3);
    } finally {
      await handle.close();
    }
  });

  it("uploads inline bytes and an empty file", async () => {
    const inline = Buffer.from("notes typed by the agent\n");
    const fromBytes = await uploadFile({
      client,
      source: { kind: "bytes", bytes: inline },
      fileName: "notes.txt",
      contentType: "text/plain",
      parentId: 0,
    });
    expect(await sandbox.readFile(fromBytes.id)).toEqual(inline);

    const empty = path.join(workDir, "empty.txt");
    await fs.writeFile(empty, "");
    const progress: [number, number][] = [];
    const fromEmpty = await uploadFile({
      client,
      source: { kind: "file", path: empty },
      fileName: "empty.txt",
      contentType: "text/plain",
      parentId: 0,
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(fromEmpty).toMatchObject({ sizeBytes: 0, parts: 1 });
    expect((await sandbox.readFile(fromEmpty.id)).length).toBe(0);
    expect(progress).toEqual([[0, 0]]);
  });

  it("retries a part that S3 refuses twice and the file still arrives intact", async () => {
    const { filePath, bytes } = await writeRandomFile("flaky.bin", 11 * MIB);
    sandbox.setFaults({ seed: seedFailingFirstPuts(2, 0.5), routes: { "s3-put": { error5xx: 0.5 } } });
    const progress: number[] = [];
    const result = await uploadFile({
      client,
      source: { kind: "file", path: filePath },
      fileName: "flaky.bin",
      contentType: "application/octet-stream",
      parentId: 0,
      chunkSizeMb: 5,
      onProgress: (sent) => progress.push(sent),
    });

    const puts = partPuts();
    expect(puts.filter((entry) => entry.fault === "error5xx")).toHaveLength(2);
    expect(puts.filter((entry) => entry.status === 200)).toHaveLength(3);
    expect((await sandbox.readFile(result.id)).equals(bytes)).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
    for (let index = 1; index < progress.length; index += 1) {
      expect(progress[index]!).toBeGreaterThan(progress[index - 1]!);
    }
  });

  it("survives dropped connections mid-part", async () => {
    const { filePath, bytes } = await writeRandomFile("dropped.bin", 6 * MIB);
    sandbox.setFaults({ seed: 7, routes: { "s3-put": { drop: 0.5 } } });
    const result = await uploadFile({
      client,
      source: { kind: "file", path: filePath },
      fileName: "dropped.bin",
      contentType: "application/octet-stream",
      parentId: 0,
      chunkSizeMb: 5,
      partRetries: 10,
    });
    expect(partPuts().filter((entry) => entry.fault === "drop").length).toBeGreaterThan(0);
    expect((await sandbox.readFile(result.id)).equals(bytes)).toBe(true);
  });

  it("a part that keeps failing leaves no entry behind and says so", async () => {
    const { filePath } = await writeRandomFile("doomed.bin", 6 * MIB);
    const before = sandbox.children(sharedRoot).map((entry) => entry.id);
    sandbox.setFaults({ seed: 1, routes: { "s3-put": { error5xx: 1 } } });
    const failure = await uploadFile({
      client,
      source: { kind: "file", path: filePath },
      fileName: "doomed.bin",
      contentType: "application/octet-stream",
      parentId: 0,
      chunkSizeMb: 5,
      partRetries: 1,
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UploadFailedError);
    const error = failure as UploadFailedError;
    expect(error.entryRemoved).toBe(true);
    expect(error.message).toMatch(/doomed\.bin.*S3 answered 50\d.*was removed/s);
    expect(sandbox.getEntry(error.entryId)?.deleted ?? true).toBe(true);
    expect(sandbox.children(sharedRoot).map((entry) => entry.id)).toEqual(before);
    // Two attempts per part, never more.
    expect(partPuts().length).toBeLessThanOrEqual(4);
  });

  it("cancelling mid-upload stops the transfer and removes the entry", async () => {
    const { filePath } = await writeRandomFile("cancelled.bin", 16 * MIB);
    const before = sandbox.children(sharedRoot).map((entry) => entry.id);
    const controller = new AbortController();
    const started = Date.now();
    const failure = await uploadFile({
      client,
      source: { kind: "file", path: filePath },
      fileName: "cancelled.bin",
      contentType: "application/octet-stream",
      parentId: 0,
      chunkSizeMb: 5,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (sent) => {
        if (sent > 2 * MIB) controller.abort();
      },
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UploadFailedError);
    expect((failure as UploadFailedError).message).toMatch(/was cancelled.*removed/s);
    expect((failure as UploadFailedError).entryRemoved).toBe(true);
    expect(sandbox.children(sharedRoot).map((entry) => entry.id)).toEqual(before);
    expect(partPuts().filter((entry) => entry.status === 200).length).toBeLessThan(4);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a cancellation that comes while the upload is being completed lets it complete and keeps the file", async () => {
    const { filePath, bytes } = await writeRandomFile("nearly-done.bin", 1000);
    // The complete request is held long enough for the cancellation to land while it is out.
    sandbox.setFaults({ seed: 1, routes: { complete: { latency: 1, latencyMs: 300 } } });
    const controller = new AbortController();
    const upload = uploadFile({
      client,
      source: { kind: "file", path: filePath },
      fileName: "nearly-done.bin",
      contentType: "application/octet-stream",
      parentId: 0,
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(sandbox.requests.some((entry) => entry.route === "complete")).toBe(true), {
      timeout: 5_000,
      interval: 5,
    });
    controller.abort();
    const result = await upload;
    sandbox.setFaults(null);
    expect(sandbox.getEntry(result.id)).toMatchObject({ status: "upload_completed" });
    expect((await sandbox.readFile(result.id)).equals(bytes)).toBe(true);
  });

  it("a name clash is reported by Vagon before anything is created", async () => {
    const { filePath } = await writeRandomFile("clash.txt", 10);
    const upload = () =>
      uploadFile({
        client,
        source: { kind: "file", path: filePath },
        fileName: "clash.txt",
        contentType: "text/plain",
        parentId: 0,
      });
    await upload();
    const before = sandbox.children(sharedRoot).map((entry) => entry.id);
    const failure = await upload().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(UploadFailedError);
    expect(sandbox.children(sharedRoot).map((entry) => entry.id)).toEqual(before);
    expect(partPuts()).toHaveLength(1);
  });

  it("refuses chunk sizes S3 would reject, before creating anything", async () => {
    const { filePath } = await writeRandomFile("tiny-chunks.bin", 3 * MIB);
    await expect(
      uploadFile({
        client,
        source: { kind: "file", path: filePath },
        fileName: "tiny-chunks.bin",
        contentType: "application/octet-stream",
        parentId: 0,
        chunkSizeMb: 1,
      }),
    ).rejects.toThrow(/at least 5 MB/);
    expect(sandbox.requests.filter((entry) => entry.route === "create")).toHaveLength(0);
  });

  it("streams a 200 MB file in 64 MB parts without buffering them", async () => {
    const sizeBytes = 200 * MIB;
    const filePath = path.join(workDir, "large.bin");
    const sourceHash = createHash("sha256");
    await pipeline(
      Readable.from(
        (function* () {
          for (let block = 0; block < sizeBytes / MIB; block += 1) {
            const chunk = randomBytes(MIB);
            sourceHash.update(chunk);
            yield chunk;
          }
        })(),
      ),
      createWriteStream(filePath),
    );

    global.gc?.();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakArrayBuffers = baseline.arrayBuffers;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
    }, 5);
    let result: Awaited<ReturnType<typeof uploadFile>>;
    try {
      result = await uploadFile({
        client,
        source: { kind: "file", path: filePath },
        fileName: "large.bin",
        contentType: "application/octet-stream",
        parentId: 0,
        chunkSizeMb: 64,
        onProgress: () => {
          const usage = process.memoryUsage();
          peakRss = Math.max(peakRss, usage.rss);
          peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
        },
      });
    } finally {
      clearInterval(sampler);
    }
    const rssGrowthMb = (peakRss - baseline.rss) / MIB;
    const arrayBufferGrowthMb = (peakArrayBuffers - baseline.arrayBuffers) / MIB;
    if (process.env.VAGON_TEST_VERBOSE) {
      console.warn(
        `200 MB upload: rss +${rssGrowthMb.toFixed(1)} MB, arrayBuffers +${arrayBufferGrowthMb.toFixed(1)} MB`,
      );
    }
    expect(result.parts).toBe(4);
    expect(rssGrowthMb).toBeLessThan(100);
    expect(arrayBufferGrowthMb).toBeLessThan(64);

    // The stored object is the file, byte for byte (hashed as a stream, not read whole).
    const response = await client.http.request(result.downloadUrl!);
    const storedHash = createHash("sha256");
    for await (const chunk of response.body) storedHash.update(chunk as Buffer);
    expect(storedHash.digest("hex")).toBe(sourceHash.digest("hex"));
    await fs.rm(filePath);
  });
});

describe("chooseChunkSizeMb", () => {
  it("uses 16 MB parts up to about 16 GB, then keeps parts near 1,000 and within S3's 10,000", () => {
    expect(chooseChunkSizeMb(0)).toBe(16);
    expect(chooseChunkSizeMb(100 * MIB)).toBe(16);
    expect(chooseChunkSizeMb(1024 * MIB)).toBe(16);
    expect(chooseChunkSizeMb(16_000 * MIB)).toBe(16);
    expect(chooseChunkSizeMb(100 * 1024 * MIB)).toBe(103);
    expect(chooseChunkSizeMb(1024 * 1024 * MIB)).toBe(250);
    for (const sizeBytes of [1, 5e8, 3e9, 5e10, 2e11, 3e12, 2e13]) {
      const chunkMb = chooseChunkSizeMb(sizeBytes);
      expect(Math.ceil(sizeBytes / (chunkMb * MIB))).toBeLessThanOrEqual(10_000);
      expect(chunkMb).toBeGreaterThanOrEqual(16);
    }
  });
});
