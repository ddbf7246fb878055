// download_files to disk against a raw GET of the same presigned link piped to a file.
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type BenchResult,
  callTool,
  note,
  ratioResult,
  removeQuietly,
  runRaw,
  settleDisk,
  sizeLabel,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";
import { rawUpload } from "./upload.js";

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

  const rawMs: number[] = [];
  const toolMs: number[] = [];
  for (let round = 0; round < env.options.rounds; round++) {
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
        note(`download raw #${rawMs.length}: ${((linkMs + got.elapsedMs) / 1000).toFixed(2)} s`);
        await removeQuietly(rawPath);
      } else {
        const call = await callTool(server.client, "download_files", {
          file_ids: [fileId],
          save_to: toolDir,
        });
        const savedTo = String(call.structured.saved_to ?? "");
        const savedBytes = savedTo ? (await stat(savedTo)).size : -1;
        if (savedBytes !== sizeBytes) {
          throw new Error(`download_files saved ${savedBytes} bytes to "${savedTo}", expected ${sizeBytes}`);
        }
        toolMs.push(call.elapsedMs);
        note(
          `download tool #${toolMs.length}: ${(call.elapsedMs / 1000).toFixed(2)} s ` +
            `(${call.progressNotifications} progress notifications)`,
        );
        await removeQuietly(savedTo);
      }
    }
  }

  return [
    ratioResult({
      name: `download ${sizeLabel(sizeBytes)}`,
      measuredLabel: "tool",
      baselineLabel: "raw GET",
      value: Math.min(...toolMs) / 1000,
      baseline: Math.min(...rawMs) / 1000,
      unit: "s",
      comparison: "<=",
      target: 1.1,
      details: {
        statistic: "best of runs",
        toolSeconds: toolMs.map((ms) => ms / 1000),
        rawSeconds: rawMs.map((ms) => ms / 1000),
        baselineIncludes: "POST /files/download for the link + one GET piped to a file",
      },
    }),
  ];
}
