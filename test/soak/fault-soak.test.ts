// Fault soak: the sandbox answers about one request in five with a 5xx, a 429, a dropped
// connection, a slow answer or (S3 downloads) a truncated body, while 50 uploads of mixed sizes
// (some multi-part) and 20 bundle downloads run at once through the MCP client. Whatever
// failed must say so and leave nothing behind; whatever succeeded must be byte-identical.
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { SEED } from "../../src/sandbox/index.js";
import { isTempName, listTree, patternBytes } from "../hardening/fixtures.js";
import { toolText, useHarness } from "../helpers/harness.js";

const MIB = 1024 * 1024;
const UPLOADS = 50;
const DOWNLOADS = 20;

const FAULTS = {
  seed: 20_240_601,
  routes: {
    // ≈ 20 % of requests: 1 - 0.95 · 0.95 · 0.94 · 0.94
    "*": {
      drop: 0.05,
      rateLimit429: 0.05,
      retryAfterSeconds: 1,
      error5xx: 0.06,
      latency: 0.06,
      latencyMs: 150,
    },
    // Downloads also get bodies cut short: 1 - 0.98 · 0.98 · 0.97 · 0.86 · 0.98 ≈ 21 %
    "s3-get": {
      drop: 0.02,
      rateLimit429: 0.02,
      retryAfterSeconds: 1,
      error5xx: 0.03,
      truncate: 0.14,
      latency: 0.02,
      latencyMs: 150,
    },
  },
} as const;

interface PlannedUpload {
  name: string;
  localPath: string;
  sizeBytes: number;
  sha256: string;
  chunkSizeMb?: number;
}

interface PlannedDownload {
  index: number;
  kind: "directory" | "files" | "task";
  args: Record<string, unknown>;
  saveTo: string;
  extract: boolean;
  /** Expected archive content: path inside the zip → sha256. */
  expected: Map<string, string>;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Every file entry of a zip on disk (path → sha256), verifying each entry's CRC. */
async function readZip(zipPath: string): Promise<Map<string, string>> {
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true });
  const contents = new Map<string, string>();
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith("/")) continue;
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      if (crc32(bytes) !== entry.crc32) throw new Error(`CRC mismatch in ${entry.fileName}`);
      contents.set(entry.fileName, sha256(bytes));
    }
  } finally {
    zip.close();
  }
  return contents;
}

/** Files under a folder, path relative to it → sha256. */
async function readTree(folder: string): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const relative of await listTree(folder)) {
    const full = path.join(folder, relative);
    if ((await fs.lstat(full)).isFile()) contents.set(relative, sha256(await fs.readFile(full)));
  }
  return contents;
}

/** Same files with the same bytes; the actual side may nest them under a top folder. */
function sameContent(actual: Map<string, string>, expected: Map<string, string>): boolean {
  if (actual.size !== expected.size) return false;
  const unmatched = [...actual];
  return [...expected].every(([name, hash]) => {
    const at = unmatched.findIndex(
      ([actualName, actualHash]) =>
        actualHash === hash && (actualName === name || actualName.endsWith(`/${name}`)),
    );
    if (at === -1) return false;
    unmatched.splice(at, 1);
    return true;
  });
}

const { harness, sandbox } = useHarness({
  sandboxOptions: { zipJob: { pendingMs: 100, processingMs: 200 } },
  logLevel: "warn",
  // Faster backoff than production so the soak fits in its time budget; same retry logic.
  clientOptions: { maxRetries: 6, retryBaseDelayMs: 20, maxRetryDelayMs: 300, maxRetryAfterMs: 200 },
  callTimeoutMs: 100_000,
});

describe("a fault soak", () => {
  it("50 uploads and 20 bundle downloads under 20 % faults: nothing lost, nothing left behind", async () => {
    // ---------------------------------------------------------------- arrange (no faults yet)
    const uploadFolderId = sandbox.addDirectory({ parentId: 0, name: "soak-uploads" });
    const uploads: PlannedUpload[] = [];
    const uploadDir = path.join(harness.root, "to-upload");
    await fs.mkdir(uploadDir);
    // The task bundle's expected content: one reference download before faults start, while the
    // files to upload are written.
    const referenceZip = (async () => {
      const reference = await harness.callTool("download_task_bundle", {
        task_id: SEED.taskId,
        save_to: path.join(harness.root, "reference"),
        wait_seconds: 60,
      });
      expect(reference.isError, toolText(reference)).toBeFalsy();
      return readZip((reference.structuredContent as { saved_to: string }).saved_to);
    })();
    const writeUploads = async () => {
      for (let index = 0; index < UPLOADS; index += 1) {
        // 5 multi-part (3 parts of 5 MB), 17 of 64 KB–1.2 MB, 28 small (one empty).
        const sizeBytes =
          index < 5
            ? 10 * MIB + 512 * 1024 + index
            : index < 22
              ? 64 * 1024 + index * 70_001
              : index === 22
                ? 0
                : 1 + index * 97;
        const bytes = patternBytes(sizeBytes, index + 1);
        const name = `upload-${String(index).padStart(2, "0")}.bin`;
        const localPath = path.join(uploadDir, name);
        await fs.writeFile(localPath, bytes);
        uploads.push({
          name,
          localPath,
          sizeBytes,
          sha256: sha256(bytes),
          chunkSizeMb: index < 5 ? 5 : undefined,
        });
      }
    };
    const [taskExpected] = await Promise.all([referenceZip, writeUploads()]);
    expect(taskExpected.size).toBeGreaterThan(0);

    const bundleFolderId = sandbox.addDirectory({ parentId: 0, name: "soak-bundles" });
    const downloads: PlannedDownload[] = [];
    const looseFileIds: number[] = [];
    const looseContent = new Map<string, string>();
    for (let file = 0; file < 3; file += 1) {
      const bytes = patternBytes(200_000 + file * 1000, 500 + file);
      looseFileIds.push(
        await sandbox.addFile({ parentId: bundleFolderId, name: `loose-${file}.bin`, content: bytes }),
      );
      looseContent.set(`loose-${file}.bin`, sha256(bytes));
    }
    for (let index = 0; index < DOWNLOADS; index += 1) {
      const saveTo = path.join(harness.root, `download-${String(index).padStart(2, "0")}`);
      const extract = index % 2 === 1;
      if (index < 10) {
        const folderId = sandbox.addDirectory({ parentId: bundleFolderId, name: `bundle-${index}` });
        const expected = new Map<string, string>();
        for (let file = 0; file < 3; file += 1) {
          const bytes = patternBytes(1000 + index * 40_000 + file * 77_777, 1000 + index * 10 + file);
          await sandbox.addFile({ parentId: folderId, name: `part-${file}.bin`, content: bytes });
          expected.set(`part-${file}.bin`, sha256(bytes));
        }
        downloads.push({
          index,
          kind: "directory",
          args: { directory_id: folderId, save_to: saveTo, extract, wait_seconds: 60 },
          saveTo,
          extract,
          expected,
        });
      } else if (index < 16) {
        downloads.push({
          index,
          kind: "files",
          args: { file_ids: looseFileIds, save_to: saveTo, extract, wait_seconds: 60 },
          saveTo,
          extract,
          expected: looseContent,
        });
      } else {
        downloads.push({
          index,
          kind: "task",
          args: { task_id: SEED.taskId, save_to: saveTo, extract, wait_seconds: 60 },
          saveTo,
          extract,
          expected: taskExpected,
        });
      }
    }

    // ---------------------------------------------------------------- act: everything at once
    sandbox.clearRequests();
    sandbox.setFaults(FAULTS);
    const startedMs = Date.now();
    const [uploadResults, downloadResults] = await Promise.all([
      Promise.all(
        uploads.map((upload) =>
          harness.callTool("upload_file", {
            local_path: upload.localPath,
            parent_id: uploadFolderId,
            ...(upload.chunkSizeMb ? { chunk_size_mb: upload.chunkSizeMb } : {}),
          }),
        ),
      ),
      Promise.all(
        downloads.map((download) =>
          harness.callTool(
            download.kind === "task" ? "download_task_bundle" : "download_files",
            download.args,
          ),
        ),
      ),
    ]);
    const elapsedMs = Date.now() - startedMs;
    sandbox.setFaults(null);
    const faultedRequests = sandbox.requests.filter((request) => request.fault !== null);
    const requestCount = sandbox.requests.length;

    // ---------------------------------------------------------------- assert: uploads
    let uploadFailures = 0;
    let entriesLost = 0;
    const problems: string[] = [];
    const liveByName = new Map(sandbox.children(uploadFolderId).map((entry) => [entry.name, entry]));
    for (const [index, upload] of uploads.entries()) {
      const result = uploadResults[index] as CallToolResult;
      const live = liveByName.get(upload.name);
      if (result.isError) {
        uploadFailures += 1;
        if (!/\w{20,}|[a-z]+ [a-z]+ [a-z]+/i.test(toolText(result)))
          problems.push(`${upload.name}: no error text`);
        if (live) problems.push(`${upload.name}: failed but left entry ${live.id} (${live.status}) behind`);
        continue;
      }
      const structured = result.structuredContent as { id: number; size: number; name: string };
      const entry = sandbox.getEntry(structured.id);
      if (!entry || entry.deleted || entry.status !== "upload_completed") {
        entriesLost += 1;
        problems.push(
          `${upload.name}: reported done but entry ${structured.id} is ${entry?.status ?? "missing"}`,
        );
        continue;
      }
      const stored = await sandbox.readFile(structured.id);
      if (stored.length !== upload.sizeBytes || sha256(stored) !== upload.sha256) {
        entriesLost += 1;
        problems.push(`${upload.name}: stored bytes differ (${stored.length} of ${upload.sizeBytes})`);
      }
    }
    const succeededNames = uploads
      .filter((_, index) => !uploadResults[index]?.isError)
      .map((upload) => upload.name);
    expect([...liveByName.keys()].sort()).toEqual(succeededNames.sort());
    for (const entry of liveByName.values()) expect(entry.status).toBe("upload_completed");

    // ---------------------------------------------------------------- assert: downloads
    let downloadFailures = 0;
    let filesLost = 0;
    // Each download is checked on its own; all at once, as they ran.
    await Promise.all(
      downloads.map(async (download, index) => {
        const result = downloadResults[index] as CallToolResult;
        if (result.isError) {
          downloadFailures += 1;
          const left = await listTree(download.saveTo).catch(() => []);
          if (left.length > 0) problems.push(`download ${index}: failed but left ${left.join(", ")}`);
          return;
        }
        const structured = result.structuredContent as {
          status: string;
          saved_to?: string;
          files?: string[];
        };
        let actual: Map<string, string>;
        if (download.extract) {
          expect(structured.status, `download ${index}`).toBe("extracted");
          actual = await readTree(download.saveTo);
        } else {
          expect(structured.status, `download ${index}`).toBe("saved");
          expect(structured.saved_to, `download ${index}`).toBeDefined();
          actual = await readZip(structured.saved_to as string).catch((error: unknown) => {
            problems.push(`download ${index}: saved zip unreadable: ${String(error)}`);
            return new Map<string, string>();
          });
        }
        if (!sameContent(actual, download.expected)) {
          filesLost += 1;
          problems.push(
            `download ${index} (${download.kind}): content differs: ${[...actual.keys()].join(", ")}`,
          );
        }
      }),
    );

    // ---------------------------------------------------------------- assert: no leftovers, still healthy
    const tempFiles = (await listTree(harness.root)).filter(isTempName);
    // Three independent calls: asked at once.
    const [health, healthUpload, healthDownload] = await Promise.all([
      harness.callTool("list_files", { parent_id: uploadFolderId }),
      harness.callTool("upload_file", {
        content: "still healthy",
        encoding: "utf8",
        file_name: "after-soak.txt",
        parent_id: uploadFolderId,
      }),
      harness.callTool("download_files", {
        file_ids: looseFileIds,
        save_to: path.join(harness.root, "after-soak"),
        wait_seconds: 60,
      }),
    ]);

    // biome-ignore lint/suspicious/noConsole: the soak reports its numbers
    console.log(
      [
        `fault soak: ${UPLOADS + DOWNLOADS} operations (${UPLOADS} uploads, ${DOWNLOADS} bundle downloads) in ${(elapsedMs / 1000).toFixed(1)} s`,
        `  sandbox requests: ${requestCount}, faults injected: ${faultedRequests.length} (${summarize(faultedRequests.map((request) => `${request.fault}`))})`,
        `  failures surfaced: ${uploadFailures} uploads, ${downloadFailures} downloads`,
        `  entries lost: ${entriesLost}, files lost: ${filesLost}, temp files left: ${tempFiles.length}`,
      ].join("\n"),
    );

    expect(problems).toEqual([]);
    expect(entriesLost).toBe(0);
    expect(filesLost).toBe(0);
    expect(tempFiles).toEqual([]);
    expect(faultedRequests.length).toBeGreaterThanOrEqual(requestCount * 0.1);
    // Most operations get through: retries absorb the faults they can.
    expect(uploadFailures + downloadFailures).toBeLessThan((UPLOADS + DOWNLOADS) / 2);
    expect(health.isError, toolText(health)).toBeFalsy();
    expect(healthUpload.isError, toolText(healthUpload)).toBeFalsy();
    expect(healthDownload.isError, toolText(healthDownload)).toBeFalsy();
  }, 120_000);
});

function summarize(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => `${value} ${count}`).join(", ");
}
