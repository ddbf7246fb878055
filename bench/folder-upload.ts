// upload_file with a folder (one call) against one upload_file call per file through the same
// client, with 20 ms of API latency and on bare loopback; and the server's peak RSS meanwhile.
//
//   BENCH_FOLDER_SMALL=500      small files (64 KiB each)
//   BENCH_FOLDER_BIG_MB=64      size of each of the 4 big files
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type BenchResult,
  callTool,
  generateFile,
  MB,
  MIB,
  note,
  ratioResult,
  settleDisk,
  startServer,
  valueResult,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";

const API_LATENCY_MS = 20;
const BIG_FILES = 4;

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
  return Math.round(value);
}

/** 20 ms on every API route the uploads use; S3 stays as fast as the disk. */
function apiLatency(env: BenchEnv, on: boolean): void {
  const latency = { latency: 1, latencyMs: API_LATENCY_MS };
  env.sandbox.setFaults(
    on
      ? { seed: 1, routes: { create: latency, complete: latency, "list-files": latency, delete: latency } }
      : null,
  );
}

export async function benchFolderUpload(env: BenchEnv): Promise<BenchResult[]> {
  const smallFiles = count("BENCH_FOLDER_SMALL", 500);
  const bigBytes = count("BENCH_FOLDER_BIG_MB", 64) * MIB;
  const folder = join(env.rootDir, "folder-bench");
  const relativePaths: string[] = [];
  for (let index = 0; index < smallFiles; index++) {
    const sub = `shot_${String(Math.floor(index / 100)).padStart(2, "0")}`;
    await mkdir(join(folder, sub), { recursive: true });
    const relative = `${sub}/frame_${String(index).padStart(4, "0")}.exr`;
    await generateFile(join(folder, relative), 64 * 1024);
    relativePaths.push(relative);
  }
  for (let index = 0; index < BIG_FILES; index++) {
    const relative = `plate_${index}.mov`;
    await generateFile(join(folder, relative), bigBytes);
    relativePaths.push(relative);
  }
  const fileCount = relativePaths.length;
  const totalBytes = smallFiles * 64 * 1024 + BIG_FILES * bigBytes;
  note(`folder bench: ${fileCount} files, ${(totalBytes / MB).toFixed(0)} MB`);

  // A fresh server, so its high-water mark is this bench's.
  const server = await startServer({ sandbox: env.sandbox, roots: [env.rootDir] });
  let run = 0;
  // The folder upload's own peak: the process's high-water mark is started over before each
  // one-call upload and read after it. The per-file baseline's 504 separate calls are another
  // workload (V8 collects their garbage lazily); the process's overall peak is reported beside.
  let folderPeakBytes = 0;
  try {
    const oneCall = async () => {
      settleDisk();
      await server.resetPeakRss();
      const call = await callTool(server.client, "upload_file", {
        local_path: folder,
        file_name: `folder-bench-${++run}`,
      });
      folderPeakBytes = Math.max(folderPeakBytes, await server.peakRssBytes());
      if (call.structured.uploaded !== fileCount)
        throw new Error(`folder upload sent ${String(call.structured.uploaded)} of ${fileCount} files`);
      await env.vagon.deleteFile(Number(call.structured.folder_id));
      return call.elapsedMs;
    };
    const perFile = async () => {
      settleDisk();
      const folderId = env.sandbox.addDirectory({ parentId: 0, name: `folder-bench-${++run}` });
      const subFolders = new Map<string, number>();
      const startedAt = performance.now();
      for (const relative of relativePaths) {
        const [sub, name] = relative.includes("/") ? relative.split("/") : ["", relative];
        let parentId = folderId;
        if (sub) {
          // What an agent does without folder upload: a folder first, then each file.
          if (!subFolders.has(sub)) {
            const created = await callTool(server.client, "create_directory", {
              name: sub,
              parent_id: folderId,
            });
            subFolders.set(sub, Number(created.structured.id));
          }
          parentId = subFolders.get(sub)!;
        }
        await callTool(server.client, "upload_file", {
          local_path: join(folder, relative),
          parent_id: parentId,
          file_name: name,
        });
      }
      const elapsedMs = performance.now() - startedAt;
      await env.vagon.deleteFile(folderId);
      return elapsedMs;
    };
    const pair = async (label: string) => {
      const folderMs = await oneCall();
      const filesMs = await perFile();
      note(
        `folder upload${label}: one call ${(folderMs / 1000).toFixed(2)} s, ${fileCount} calls ${(filesMs / 1000).toFixed(2)} s`,
      );
      return { folderMs, filesMs };
    };

    apiLatency(env, true);
    let withLatency: { folderMs: number; filesMs: number };
    try {
      withLatency = await pair(` (${API_LATENCY_MS} ms API latency)`);
    } finally {
      apiLatency(env, false);
    }
    const loopback = await pair(" (loopback)");
    // What the high-water mark reached in the last stretch (the loopback per-file calls), or the
    // folder upload's own when that was higher.
    const processPeakBytes = Math.max(folderPeakBytes, await server.peakRssBytes());
    note(
      `folder upload peak RSS ${(folderPeakBytes / MB).toFixed(0)} MB; the process's, per-file calls included, ${(processPeakBytes / MB).toFixed(0)} MB`,
    );
    return [
      ratioResult({
        name: `folder upload ${fileCount} files, ${API_LATENCY_MS} ms API latency`,
        measuredLabel: "one call",
        baselineLabel: `${fileCount} calls`,
        value: withLatency.folderMs / 1000,
        baseline: withLatency.filesMs / 1000,
        unit: "s",
        comparison: "<=",
        target: 0.2,
        details: { files: fileCount, totalBytes, apiLatencyMs: API_LATENCY_MS },
      }),
      ratioResult({
        name: `folder upload ${fileCount} files, loopback`,
        measuredLabel: "one call",
        baselineLabel: `${fileCount} calls`,
        value: loopback.folderMs / 1000,
        baseline: loopback.filesMs / 1000,
        unit: "s",
        comparison: "<=",
        // Reported, not targeted: without latency the per-call cost is small.
        target: 1,
        details: { files: fileCount, totalBytes },
      }),
      valueResult({
        name: "folder upload peak RSS",
        label: "server peak (VmHWM) during the one-call uploads",
        value: folderPeakBytes / MB,
        unit: "MB",
        digits: 0,
        comparison: "<",
        target: 150,
        details: { perFileCallsPeakMb: processPeakBytes / MB },
      }),
    ];
  } finally {
    await server.close();
  }
}
