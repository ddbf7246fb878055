// download_files to disk against a raw GET of the same presigned link piped to a file and
// flushed (the tool flushes before it names the file, so both count as done once on disk): on
// bare loopback, and with the sandbox capping each connection as S3 does, where the tool's
// parallel ranges should beat one stream.
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type BenchResult,
  callTool,
  MB,
  note,
  ratioResult,
  removeQuietly,
  runRaw,
  settleDisk,
  sizeLabel,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";
import { rawUpload } from "./upload.js";

/** A per-connection cap in the range real S3 connections see. */
const CAP_BYTES_PER_SECOND = 50 * MB;

export async function benchDownload(env: BenchEnv): Promise<BenchResult[]> {
  const server = await env.server();
  if (env.uploadedFileId === null) {
    // Run alone: seed the file with a raw upload.
    const seeded = await rawUpload(env, await env.bigFile(), "bench-download-seed.bin");
    env.uploadedFileId = seeded.fileId;
  }
  const fileId = env.uploadedFileId;
  const sizeBytes = env.options.sizeBytes;
  const toolDir = join(env.rootDir, "downloads-tool");
  const rawDir = join(env.workDir, "downloads-raw");
  await mkdir(toolDir, { recursive: true });
  await mkdir(rawDir, { recursive: true });

  const measure = async (rounds: number, label: string) => {
    const rawMs: number[] = [];
    const rawNonDurableMs: number[] = [];
    const toolMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ["raw", "tool"] : ["tool", "raw"];
      for (const which of order) {
        settleDisk();
        if (which === "raw") {
          const startedAt = performance.now();
          const start = await env.vagon.startDownload({ fileIds: [fileId] });
          const linkMs = performance.now() - startedAt;
          if (start.kind !== "link")
            throw new Error(`expected a direct link for one file, got a ${start.kind}`);
          const rawPath = join(rawDir, `raw-${round}.bin`);
          const got = await runRaw({ kind: "get", url: start.url, filePath: rawPath });
          if (got.bytes !== sizeBytes)
            throw new Error(`raw GET wrote ${got.bytes} bytes, expected ${sizeBytes}`);
          rawMs.push(linkMs + got.elapsedMs);
          rawNonDurableMs.push(linkMs + got.nonDurableMs);
          note(
            `download${label} raw #${rawMs.length}: ${((linkMs + got.elapsedMs) / 1000).toFixed(2)} s flushed ` +
              `(${((linkMs + got.nonDurableMs) / 1000).toFixed(2)} s unflushed)`,
          );
          await removeQuietly(rawPath);
        } else {
          const call = await callTool(server.client, "download_files", {
            file_ids: [fileId],
            save_to: toolDir,
          });
          const savedTo = String(call.structured.saved_to ?? "");
          const savedBytes = savedTo ? (await stat(savedTo)).size : -1;
          if (savedBytes !== sizeBytes) {
            throw new Error(
              `download_files saved ${savedBytes} bytes to "${savedTo}", expected ${sizeBytes}`,
            );
          }
          toolMs.push(call.elapsedMs);
          note(
            `download${label} tool #${toolMs.length}: ${(call.elapsedMs / 1000).toFixed(2)} s ` +
              `(${call.progressNotifications} progress notifications)`,
          );
          await removeQuietly(savedTo);
        }
      }
    }
    return { rawMs, rawNonDurableMs, toolMs };
  };
  const seconds = (values: number[]) => values.map((ms) => ms / 1000);

  const loopback = await measure(env.options.rounds, "");
  env.sandbox.setBandwidthCap(CAP_BYTES_PER_SECOND);
  let capped: Awaited<ReturnType<typeof measure>>;
  try {
    // One stream at 50 MB/s takes 20 s per GiB: one round is enough to see the difference.
    capped = await measure(1, " capped");
  } finally {
    env.sandbox.setBandwidthCap(null);
  }

  return [
    ratioResult({
      name: `download ${sizeLabel(sizeBytes)}`,
      measuredLabel: "tool",
      baselineLabel: "raw GET + fdatasync",
      value: Math.min(...loopback.toolMs) / 1000,
      baseline: Math.min(...loopback.rawMs) / 1000,
      unit: "s",
      comparison: "<=",
      target: 1.05,
      details: {
        statistic: "best of runs",
        toolSeconds: seconds(loopback.toolMs),
        rawSeconds: seconds(loopback.rawMs),
        rawUnflushedSeconds: seconds(loopback.rawNonDurableMs),
        ratioToUnflushedRaw: Math.min(...loopback.toolMs) / Math.min(...loopback.rawNonDurableMs),
        baselineIncludes: "POST /files/download for the link + one GET piped to a file + fdatasync",
      },
    }),
    ratioResult({
      name: `download ${sizeLabel(sizeBytes)}, ${CAP_BYTES_PER_SECOND / MB} MB/s per connection`,
      measuredLabel: "tool",
      baselineLabel: "raw GET + fdatasync",
      value: Math.min(...capped.toolMs) / 1000,
      baseline: Math.min(...capped.rawMs) / 1000,
      unit: "s",
      comparison: "<=",
      target: 0.35,
      details: {
        statistic: "one round",
        toolSeconds: seconds(capped.toolMs),
        rawSeconds: seconds(capped.rawMs),
        rawUnflushedSeconds: seconds(capped.rawNonDurableMs),
        capBytesPerSecond: CAP_BYTES_PER_SECOND,
      },
    }),
  ];
}
