// upload_file (MCP client → server process → sandbox) against one raw PUT of the same bytes, and
// the server's peak RSS while it uploads the file in 250 MB chunks.
import { basename } from "node:path";
import {
  type BenchResult,
  callTool,
  MB,
  note,
  ratioResult,
  runRaw,
  sampleRss,
  settleDisk,
  sizeLabel,
  startServer,
  valueResult,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";

interface RawUpload {
  fileId: number;
  totalMs: number;
  putMs: number;
}

/** create (one part big enough for the whole file) → one PUT → complete, all raw. */
export async function rawUpload(env: BenchEnv, filePath: string, fileName: string): Promise<RawUpload> {
  const sizeBytes = env.options.sizeBytes;
  const startedAt = performance.now();
  const created = await env.vagon.createFile({
    fileName,
    contentType: "application/octet-stream",
    sizeBytes,
    parentId: 0,
    // Vagon counts chunk size in MB; one more than the file's size makes exactly one part
    // whether the API means 10^6 or 2^20 bytes.
    chunkSizeMb: Math.ceil(sizeBytes / MB) + 1,
  });
  const createMs = performance.now() - startedAt;
  const part = created.uploadUrls[0];
  if (!part || created.uploadUrls.length !== 1) {
    throw new Error(`expected one part URL for the raw PUT, got ${created.uploadUrls.length}`);
  }
  const put = await runRaw({ kind: "put", url: part.url, filePath });
  const completeStartedAt = performance.now();
  await env.vagon.completeUpload(created.id, [{ partNumber: 1, etag: put.etag }]);
  const completeMs = performance.now() - completeStartedAt;
  return { fileId: created.id, totalMs: createMs + put.elapsedMs + completeMs, putMs: put.elapsedMs };
}

export async function benchUpload(env: BenchEnv): Promise<BenchResult[]> {
  const filePath = await env.bigFile();
  const server = await env.server();
  const label = sizeLabel(env.options.sizeBytes);
  const rawMs: number[] = [];
  const rawPutMs: number[] = [];
  const toolMs: number[] = [];
  const toolParts: unknown[] = [];
  let run = 0;

  // Baseline and measured alternate (ABBA…) so neither gets the warmer page cache.
  for (let round = 0; round < env.options.rounds; round++) {
    const order = round % 2 === 0 ? ["raw", "tool"] : ["tool", "raw"];
    for (const which of order) {
      settleDisk();
      const fileName = `bench-upload-${++run}.bin`;
      if (which === "raw") {
        const raw = await rawUpload(env, filePath, fileName);
        rawMs.push(raw.totalMs);
        rawPutMs.push(raw.putMs);
        note(
          `upload raw #${rawMs.length}: ${(raw.totalMs / 1000).toFixed(2)} s (PUT ${(raw.putMs / 1000).toFixed(2)} s)`,
        );
        await env.vagon.deleteFile(raw.fileId);
      } else {
        const call = await callTool(server.client, "upload_file", {
          local_path: filePath,
          file_name: fileName,
        });
        const uploadedBytes = Number(call.structured.size);
        if (uploadedBytes !== env.options.sizeBytes) {
          throw new Error(`upload_file reported size ${uploadedBytes}, expected ${env.options.sizeBytes}`);
        }
        toolMs.push(call.elapsedMs);
        toolParts.push(call.structured.parts);
        note(
          `upload tool #${toolMs.length}: ${(call.elapsedMs / 1000).toFixed(2)} s ` +
            `(parts ${String(call.structured.parts)}, ${call.progressNotifications} progress notifications)`,
        );
        // Keep one completed upload for the download bench.
        const fileId = Number(call.structured.id);
        if (env.uploadedFileId === null) env.uploadedFileId = fileId;
        else await env.vagon.deleteFile(fileId);
      }
    }
  }

  const results: BenchResult[] = [
    ratioResult({
      name: `upload ${label}`,
      measuredLabel: "tool",
      baselineLabel: "raw PUT",
      value: Math.min(...toolMs) / 1000,
      baseline: Math.min(...rawMs) / 1000,
      unit: "s",
      comparison: "<=",
      target: 1.1,
      details: {
        statistic: "best of runs",
        toolSeconds: toolMs.map((ms) => ms / 1000),
        rawSeconds: rawMs.map((ms) => ms / 1000),
        rawPutOnlySeconds: rawPutMs.map((ms) => ms / 1000),
        toolParts,
        baselineIncludes: "create + one PUT + complete",
      },
    }),
  ];
  results.push(await benchUploadRss(env, filePath));
  return results;
}

/** A fresh server (so its high-water mark is this upload's), 250 MB chunks, VmHWM + 50 ms VmRSS samples. */
async function benchUploadRss(env: BenchEnv, filePath: string): Promise<BenchResult> {
  const server = await startServer({ sandbox: env.sandbox, roots: [env.rootDir] });
  try {
    const idleBytes = await server.peakRssBytes();
    const sampler = sampleRss(server.pid, 50);
    const call = await callTool(server.client, "upload_file", {
      local_path: filePath,
      file_name: `rss-${basename(filePath)}`,
      chunk_size_mb: 250,
    });
    const sampledPeakBytes = await sampler.stop();
    const highWaterBytes = await server.peakRssBytes();
    await env.vagon.deleteFile(Number(call.structured.id));
    const peakBytes = Math.max(highWaterBytes, sampledPeakBytes);
    note(
      `upload rss: VmHWM ${(highWaterBytes / MB).toFixed(0)} MB, sampled VmRSS peak ${(sampledPeakBytes / MB).toFixed(0)} MB, ` +
        `idle ${(idleBytes / MB).toFixed(0)} MB, ${(call.elapsedMs / 1000).toFixed(2)} s`,
    );
    return valueResult({
      name: `upload ${sizeLabel(env.options.sizeBytes)} peak RSS (250 MB chunks)`,
      label: "server process peak",
      value: peakBytes / MB,
      unit: "MB",
      digits: 0,
      comparison: "<",
      target: 150,
      details: {
        highWaterMb: highWaterBytes / MB,
        sampledPeakMb: sampledPeakBytes / MB,
        idleAfterStartMb: idleBytes / MB,
        parts: call.structured.parts,
        uploadSeconds: call.elapsedMs / 1000,
      },
    });
  } finally {
    await server.close();
  }
}
