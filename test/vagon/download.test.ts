import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { CheckedPath } from "../../src/local/containment.js";
import { extractZip } from "../../src/local/extract.js";
import { dropBytes, sanitizeFileName } from "../../src/local/files.js";
import { mulberry32 } from "../../src/sandbox/faults.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { createVagonClient } from "../../src/vagon/client.js";
import { saveUrlToFile, waitForJob } from "../../src/vagon/download.js";
import type { DownloadJob, VagonClient } from "../../src/vagon/types.js";
import { checkedByTest } from "../helpers/checked-path.js";

const MIB = 1024 * 1024;
const PENDING_MS = 300;
const PROCESSING_MS = 700;

let sandbox: Sandbox;
let client: VagonClient;
let workDir: string;
let saveDir: CheckedPath;
let sharedRoot: number;
let clockOffsetMs = 0;

beforeAll(async () => {
  sandbox = await startSandbox({
    zipJob: { pendingMs: PENDING_MS, processingMs: PROCESSING_MS },
    clock: () => Date.now() + clockOffsetMs,
  });
  client = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
  });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-download-"));
  sharedRoot = sandbox.rootId(null);
});

afterAll(async () => {
  await client?.close();
  await sandbox?.close();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

beforeEach(async () => {
  sandbox.setFaults(null);
  sandbox.clearRequests();
  clockOffsetMs = 0;
  saveDir = checkedByTest(await fs.mkdtemp(path.join(workDir, "save-")));
});

let fileCounter = 0;

/** A file stored at Vagon and a fresh presigned link to it. */
async function storedFile(name: string, content: Buffer): Promise<{ url: string; sizeBytes: number }> {
  fileCounter += 1;
  const id = await sandbox.addFile({ parentId: sharedRoot, name: `${fileCounter}-${name}`, content });
  const start = await client.startDownload({ fileIds: [id] });
  if (start.kind !== "link") throw new Error("expected a direct link for one file");
  expect(start.sizeBytes).toBe(content.length);
  return { url: start.url, sizeBytes: content.length };
}

/** Wraps every FileHandle's datasync; `real()` runs the original on the same handle. */
async function spyOnDatasync(wrapper: (real: () => Promise<void>) => Promise<void>) {
  // FileHandle is not exported: reach its prototype through an open handle.
  const probe = await fs.open(path.join(workDir, "probe"), "w");
  const prototype = Object.getPrototypeOf(probe) as fs.FileHandle;
  await probe.close();
  const original = prototype.datasync;
  return vi.spyOn(prototype, "datasync").mockImplementation(function (this: fs.FileHandle) {
    return wrapper(() => original.call(this));
  });
}

function s3Gets() {
  return sandbox.requests.filter((entry) => entry.route === "s3-get");
}

describe("saveUrlToFile", () => {
  it("saves a file byte for byte under its own name, with progress up to the total", async () => {
    const content = randomBytes(3 * MIB + 17);
    const { url, sizeBytes } = await storedFile("render.png", content);
    const progress: [number, number | null][] = [];
    const saved = await saveUrlToFile({
      http: client.http,
      url,
      directory: saveDir,
      fileName: "render.png",
      expectedBytes: sizeBytes,
      onProgress: (received, total) => progress.push([received, total]),
    });

    expect(saved).toEqual({ savedPath: path.join(saveDir, "render.png"), sizeBytes });
    expect((await fs.readFile(saved.savedPath)).equals(content)).toBe(true);
    expect(await fs.readdir(saveDir)).toEqual(["render.png"]);
    expect(progress.at(-1)).toEqual([sizeBytes, sizeBytes]);
    for (let index = 1; index < progress.length; index += 1) {
      expect(progress[index]![0]).toBeGreaterThan(progress[index - 1]![0]);
    }
  });

  it("flushes to disk as it downloads, not all at the end", async () => {
    const content = randomBytes(200 * MIB);
    const { url, sizeBytes } = await storedFile("flushed.bin", content);
    let receivedBytes = 0;
    const flushedAt: number[] = [];
    const datasync = await spyOnDatasync((real) => {
      flushedAt.push(receivedBytes);
      return real();
    });
    try {
      const saved = await saveUrlToFile({
        http: client.http,
        url,
        directory: saveDir,
        fileName: "flushed.bin",
        expectedBytes: sizeBytes,
        onProgress: (bytes) => {
          receivedBytes = bytes;
        },
      });
      expect((await fs.readFile(saved.savedPath)).equals(content)).toBe(true);
    } finally {
      datasync.mockRestore();
    }
    // One flush per 64 MiB while the body streams in, and a last one once all of it is written.
    expect(flushedAt.filter((bytes) => bytes < sizeBytes).length).toBeGreaterThanOrEqual(2);
    expect(flushedAt.at(-1)).toBe(sizeBytes);
  });

  it("a background flush that fails is retried by the final one", async () => {
    const content = randomBytes(80 * MIB);
    const { url, sizeBytes } = await storedFile("reflushed.bin", content);
    let calls = 0;
    // Still running when the last byte is written, then failing: it fails once progress (bytes
    // written to the file) reaches the size, whatever the disk's or the network's speed.
    let allWritten: () => void = () => {};
    const lastByteWritten = new Promise<void>((resolve) => {
      allWritten = resolve;
    });
    const datasync = await spyOnDatasync(async (real) => {
      calls += 1;
      if (calls === 1) {
        await lastByteWritten;
        throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
      }
      return real();
    });
    try {
      const saved = await saveUrlToFile({
        http: client.http,
        url,
        directory: saveDir,
        fileName: "reflushed.bin",
        expectedBytes: sizeBytes,
        onProgress: (bytes) => {
          if (bytes === sizeBytes) allWritten();
        },
      });
      expect((await fs.readFile(saved.savedPath)).equals(content)).toBe(true);
    } finally {
      datasync.mockRestore();
    }
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it("resumes a body cut short with a Range request and the file is intact", async () => {
    const content = randomBytes(8 * MIB);
    const { url, sizeBytes } = await storedFile("cut.bin", content);
    // First GET truncated, the resumed one served whole.
    const seed = findSeed((random) => random() < 0.5 && random() >= 0.5);
    sandbox.setFaults({ seed, routes: { "s3-get": { truncate: 0.5 } } });
    const saved = await saveUrlToFile({
      http: client.http,
      url,
      directory: saveDir,
      fileName: "cut.bin",
      expectedBytes: sizeBytes,
    });

    expect((await fs.readFile(saved.savedPath)).equals(content)).toBe(true);
    expect(s3Gets().map(({ status, fault }) => [status, fault])).toEqual([
      [200, "truncate"],
      [206, null],
    ]);
    expect(await fs.readdir(saveDir)).toEqual(["cut.bin"]);
  });

  it("when every attempt is cut short, gives up and leaves no file and no temp file", async () => {
    const { url, sizeBytes } = await storedFile("never.bin", randomBytes(MIB));
    sandbox.setFaults({ seed: 1, routes: { "s3-get": { truncate: 1 } } });
    await expect(
      saveUrlToFile({
        http: client.http,
        url,
        directory: saveDir,
        fileName: "never.bin",
        expectedBytes: sizeBytes,
        retries: 2,
      }),
    ).rejects.toThrow(/failed after 3 attempts.*Nothing was saved/);
    expect(s3Gets()).toHaveLength(3);
    expect(await fs.readdir(saveDir)).toEqual([]);
  });

  it("never overwrites: a taken name gets (1), then (2)", async () => {
    await fs.writeFile(path.join(saveDir, "bundle.zip"), "the user's own file");
    const content = Buffer.from("fresh bytes");
    const { url, sizeBytes } = await storedFile("bundle.zip", content);
    const save = () =>
      saveUrlToFile({
        http: client.http,
        url,
        directory: saveDir,
        fileName: "bundle.zip",
        expectedBytes: sizeBytes,
      });
    expect((await save()).savedPath).toBe(path.join(saveDir, "bundle (1).zip"));
    expect((await save()).savedPath).toBe(path.join(saveDir, "bundle (2).zip"));
    expect(await fs.readFile(path.join(saveDir, "bundle.zip"), "utf8")).toBe("the user's own file");
    expect(await fs.readFile(path.join(saveDir, "bundle (2).zip"), "utf8")).toBe("fresh bytes");
    expect((await fs.readdir(saveDir)).sort()).toEqual(["bundle (1).zip", "bundle (2).zip", "bundle.zip"]);
  });

  it("cancelling mid-download removes the temp file", async () => {
    const { url, sizeBytes } = await storedFile("big.bin", randomBytes(16 * MIB));
    const controller = new AbortController();
    await expect(
      saveUrlToFile({
        http: client.http,
        url,
        directory: saveDir,
        fileName: "big.bin",
        expectedBytes: sizeBytes,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toThrow(/abort/i);
    expect(await fs.readdir(saveDir)).toEqual([]);
  });

  it("refuses a body whose size differs from what Vagon reported", async () => {
    const { url, sizeBytes } = await storedFile("odd.bin", randomBytes(1000));
    await expect(
      saveUrlToFile({
        http: client.http,
        url,
        directory: saveDir,
        fileName: "odd.bin",
        expectedBytes: sizeBytes + 1,
      }),
    ).rejects.toThrow(/1000 bytes but 1001 were expected/);
    expect(await fs.readdir(saveDir)).toEqual([]);
  });

  it("an expired link is refused at once, without retrying, and nothing is saved", async () => {
    const { url, sizeBytes } = await storedFile("late.bin", randomBytes(1000));
    clockOffsetMs = 2 * 60 * 60 * 1000;
    await expect(
      saveUrlToFile({
        http: client.http,
        url,
        directory: saveDir,
        fileName: "late.bin",
        expectedBytes: sizeBytes,
      }),
    ).rejects.toThrow(/403.*expired/);
    expect(s3Gets()).toHaveLength(1);
    expect(await fs.readdir(saveDir)).toEqual([]);
  });

  it("makes any offered name safe to write", async () => {
    const content = Buffer.from("x");
    const { url } = await storedFile("evil", content);
    const saved = await saveUrlToFile({
      http: client.http,
      url,
      directory: saveDir,
      fileName: "../../etc/passwd",
      expectedBytes: 1,
    });
    expect(saved.savedPath).toBe(path.join(saveDir, "passwd"));
  });
});

describe("dropBytes", () => {
  it("keeps what a short write left unwritten, in order", () => {
    const buffers = [Buffer.from("abc"), Buffer.from("de"), Buffer.from("fgh")];
    expect(Buffer.concat(dropBytes(buffers, 0)).toString()).toBe("abcdefgh");
    expect(Buffer.concat(dropBytes(buffers, 4)).toString()).toBe("efgh");
    expect(Buffer.concat(dropBytes(buffers, 5)).toString()).toBe("fgh");
    expect(dropBytes(buffers, 8)).toEqual([]);
  });
});

describe("sanitizeFileName", () => {
  it("keeps only a plain, portable base name", () => {
    expect(sanitizeFileName("report.pdf")).toBe("report.pdf");
    expect(sanitizeFileName("C:\\Users\\me\\report.pdf")).toBe("report.pdf");
    expect(sanitizeFileName("a/b/../c.txt")).toBe("c.txt");
    expect(sanitizeFileName("bad\0name\n.txt")).toBe("bad_name_.txt");
    expect(sanitizeFileName('what?<>:"|*.txt')).toBe("what_______.txt");
    expect(sanitizeFileName("CON.txt")).toBe("_CON.txt");
    expect(sanitizeFileName("trailing. . ")).toBe("trailing");
    expect(sanitizeFileName("..")).toBe("download");
    expect(sanitizeFileName("")).toBe("download");
    expect(sanitizeFileName("dir/")).toBe("download");
    const long = sanitizeFileName(`${"é".repeat(300)}.zip`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(200);
    expect(long.endsWith(".zip")).toBe(true);
  });
});

/** A seed whose fault draws (one per S3 GET with only `truncate` set) satisfy the predicate. */
function findSeed(predicate: (random: () => number) => boolean): number {
  for (let seed = 1; seed < 100_000; seed += 1) {
    if (predicate(mulberry32(seed))) return seed;
  }
  throw new Error("no seed found");
}

describe("waitForJob", () => {
  async function startFolderJob(): Promise<{ downloadId: number; startedAt: number; folderName: string }> {
    fileCounter += 1;
    const folderName = `Deliverables ${fileCounter}`;
    const folderId = sandbox.addDirectory({ parentId: sharedRoot, name: folderName });
    await sandbox.addFile({ parentId: folderId, name: "summary.txt", content: "all done" });
    const charts = sandbox.addDirectory({ parentId: folderId, name: "charts" });
    await sandbox.addFile({ parentId: charts, name: "q3.csv", content: "quarter,revenue\nq3,42\n" });
    const startedAt = Date.now();
    const start = await client.startDownload({ directoryId: folderId });
    if (start.kind !== "job") throw new Error("expected a zip job for a folder");
    return { downloadId: start.downloadId, startedAt, folderName };
  }

  it("notices quickly when a folder's zip is ready; the zip saves and extracts", async () => {
    const { downloadId, startedAt, folderName } = await startFolderJob();
    const seen: DownloadJob["status"][] = [];
    const job = await waitForJob({
      client,
      downloadId,
      timeoutMs: 10_000,
      onUpdate: (update) => seen.push(update.status),
    });
    const noticedAfterMs = Date.now() - startedAt;

    expect(job.status).toBe("uploaded");
    expect(job.url).toMatch(/^http/);
    expect(seen[0]).toBe("pending");
    expect(seen.at(-1)).toBe("uploaded");
    // Ready at ~1,000 ms; polls at 0, 250, 625, 1,190 ms notice it within a few hundred ms. The
    // poll count below pins that schedule; the time bound leaves room for a loop stalled by the
    // suites running beside this one.
    expect(noticedAfterMs).toBeLessThan(PENDING_MS + PROCESSING_MS + 1_500);
    expect(sandbox.requests.filter((entry) => entry.route === "download-status").length).toBeLessThanOrEqual(
      6,
    );

    const saved = await saveUrlToFile({
      http: client.http,
      url: job.url!,
      directory: saveDir,
      fileName: `${folderName}.zip`,
      expectedBytes: null,
    });
    const extracted = await extractZip(saved.savedPath, checkedByTest(path.join(saveDir, folderName)));
    expect(extracted.files.map((file) => file.split("/").at(-1)).sort()).toEqual(["q3.csv", "summary.txt"]);
    expect(extracted.skipped).toEqual([]);
  });

  it("when time runs out, returns the job still in progress without sleeping past the deadline", async () => {
    const { downloadId } = await startFolderJob();
    const started = Date.now();
    const job = await waitForJob({ client, downloadId, timeoutMs: 400 });
    const elapsedMs = Date.now() - started;
    // Still in progress: a wait that slept past the deadline would have seen it ready (~1,000 ms).
    expect(["pending", "processing"]).toContain(job.status);
    expect(elapsedMs).toBeGreaterThanOrEqual(390);
    expect(elapsedMs).toBeLessThan(400 + 1_500);
  });

  it("a server that is shutting down ends the wait with the job's last status, not an error", async () => {
    const { downloadId } = await startFolderJob();
    const shuttingDown = new AbortController();
    const polls = () =>
      sandbox.requests.filter((entry) => entry.path.endsWith(`/downloads/${downloadId}`)).length;
    const waiting = waitForJob({ client, downloadId, timeoutMs: 60_000, until: shuttingDown.signal });
    await expect.poll(polls).toBeGreaterThanOrEqual(1);
    shuttingDown.abort();
    const job = await waiting;
    expect(job.downloadId).toBe(downloadId);
    expect(["pending", "processing"]).toContain(job.status);
  });

  it("with no time to wait, looks once", async () => {
    const { downloadId } = await startFolderJob();
    const job = await waitForJob({ client, downloadId, timeoutMs: 0 });
    expect(job).toMatchObject({ downloadId, status: "pending", url: null });
    expect(sandbox.requests.filter((entry) => entry.route === "download-status")).toHaveLength(1);
  });

  it("returns a job cancelled while waiting", async () => {
    const { downloadId } = await startFolderJob();
    setTimeout(() => void client.abortDownload(downloadId), 100);
    const job = await waitForJob({ client, downloadId, timeoutMs: 5_000 });
    expect(job.status).toBe("cancelled");
  });

  it("stops promptly when the caller aborts", async () => {
    const { downloadId } = await startFolderJob();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(
      waitForJob({ client, downloadId, timeoutMs: 5_000, signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
    // The rejection is the proof (a wait deaf to the abort ends "uploaded"); the bound, a stalled loop's.
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
