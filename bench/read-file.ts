// read_file against what an agent would do without it, on a log and a zip the size of the
// transfer file (1 GiB by default, BENCH_SIZE_MB shrinks both):
// - tail 100 lines: the bytes the storage served, and the time against download_files of the file;
// - grep over the whole log: its time against a raw GET of the same bytes (scanning must keep up
//   with the wire);
// - listing a zip of 10,000 members: the bytes the storage served.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import {
  type BenchResult,
  callTool,
  MIB,
  median,
  note,
  ratioResult,
  removeQuietly,
  runRaw,
  settleDisk,
  sizeLabel,
  valueResult,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";

const ZIP_MEMBERS = 10_000;

/** A render log of about `sizeBytes`: ~100-byte lines, an ERROR every 100,000th line. */
async function writeLog(filePath: string, sizeBytes: number): Promise<number> {
  const out = createWriteStream(filePath, { highWaterMark: 4 * MIB });
  let written = 0;
  let line = 0;
  while (written < sizeBytes) {
    const lines: string[] = [];
    for (let count = 0; count < 10_000; count++) {
      line += 1;
      const level = line % 100_000 === 0 ? "ERROR" : "INFO ";
      lines.push(
        `2026-12-01T10:${String(Math.floor(line / 60_000) % 60).padStart(2, "0")}:00.000Z ${level} worker-${line % 8} frame ${String(line).padStart(8, "0")} rendered in ${(line * 37) % 900} ms, 1920x1080`,
      );
    }
    const chunk = Buffer.from(`${lines.join("\n")}\n`);
    written += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", resolve));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return written;
}

/** A zip of ZIP_MEMBERS stored members adding up to about `sizeBytes`. */
async function writeZip(filePath: string, sizeBytes: number): Promise<void> {
  const zip = new yazl.ZipFile();
  const memberBytes = Math.max(64, Math.floor(sizeBytes / ZIP_MEMBERS));
  const block = Buffer.alloc(memberBytes);
  for (let offset = 0; offset + 4 <= memberBytes; offset += 4)
    block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, offset);
  const done = pipeline(zip.outputStream, createWriteStream(filePath, { highWaterMark: 4 * MIB }));
  for (let index = 0; index < ZIP_MEMBERS; index++) {
    const content = Buffer.from(block);
    content.writeUInt32LE(index, 0);
    zip.addBuffer(
      content,
      `shots/shot_${String(Math.floor(index / 100)).padStart(3, "0")}/frame_${String(index).padStart(5, "0")}.exr`,
      {
        compress: false,
      },
    );
  }
  zip.end();
  await done;
}

export async function benchReadFile(env: BenchEnv): Promise<BenchResult[]> {
  const server = await env.server();
  const dataDir = join(env.workDir, "read-file-data");
  const toolDir = join(env.rootDir, "read-file-downloads");
  await mkdir(dataDir, { recursive: true });
  await mkdir(toolDir, { recursive: true });
  const label = sizeLabel(env.options.sizeBytes);

  const logPath = join(dataDir, "render.log");
  let startedAt = performance.now();
  const logBytes = await writeLog(logPath, env.options.sizeBytes);
  const logId = await env.sandbox.addFileFromDisk({
    parentId: 0,
    name: "bench-render.log",
    path: logPath,
    contentType: "text/plain",
  });
  note(`generated a ${sizeLabel(logBytes)} log in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);

  // Tail: bytes and time, against saving the whole file with download_files. One untimed call
  // first: the server loads its HTTP client with its first request, as a long-lived one has.
  await callTool(server.client, "read_file", { file_id: logId, tail: 100 });
  const tailMs: number[] = [];
  const tailBytes: number[] = [];
  const downloadMs: number[] = [];
  for (let round = 0; round < env.options.rounds; round++) {
    settleDisk();
    const before = env.sandbox.servedBytes(logId);
    const tail = await callTool(server.client, "read_file", { file_id: logId, tail: 100 });
    tailBytes.push(env.sandbox.servedBytes(logId) - before);
    tailMs.push(tail.elapsedMs);
    const shownLines = String(tail.structured.text ?? "").split("\n").length;
    if (shownLines !== 100) throw new Error(`tail=100 showed ${shownLines} lines`);
    settleDisk();
    const download = await callTool(server.client, "download_files", { file_ids: [logId], save_to: toolDir });
    downloadMs.push(download.elapsedMs);
    await removeQuietly(String(download.structured.saved_to ?? ""));
    note(
      `tail #${round + 1}: ${tail.elapsedMs.toFixed(1)} ms, ${tailBytes.at(-1)} B fetched; download_files ${(download.elapsedMs / 1000).toFixed(2)} s`,
    );
  }

  // grep: the whole log scanned, against a raw GET of it (counted and dropped: the wire alone).
  const grepMs: number[] = [];
  const rawMs: number[] = [];
  let matches = 0;
  for (let round = 0; round < env.options.rounds; round++) {
    const order = round % 2 === 0 ? ["raw", "grep"] : ["grep", "raw"];
    for (const which of order) {
      // As the tail and download rounds: the disk settled, so neither side pays for the other's writes.
      settleDisk();
      if (which === "raw") {
        startedAt = performance.now();
        const start = await env.vagon.startDownload({ fileIds: [logId] });
        if (start.kind !== "link") throw new Error("expected a direct link");
        const linkMs = performance.now() - startedAt;
        const got = await runRaw({ kind: "get", url: start.url, filePath: null });
        if (got.bytes !== logBytes) throw new Error(`raw GET got ${got.bytes} bytes, expected ${logBytes}`);
        rawMs.push(linkMs + got.elapsedMs);
      } else {
        const grep = await callTool(server.client, "read_file", { file_id: logId, grep: "ERROR.*frame" });
        if (grep.structured.scanned_bytes !== logBytes || grep.structured.complete !== true) {
          throw new Error(`grep scanned ${String(grep.structured.scanned_bytes)} of ${logBytes} bytes`);
        }
        matches = (grep.structured.matches as unknown[]).length;
        grepMs.push(grep.elapsedMs);
      }
    }
    note(
      `grep #${round + 1}: ${(grepMs.at(-1)! / 1000).toFixed(2)} s (${matches} matches); raw GET ${(rawMs.at(-1)! / 1000).toFixed(2)} s`,
    );
  }

  // Zip listing: only the central directory travels.
  const zipPath = join(dataDir, "frames.zip");
  startedAt = performance.now();
  await writeZip(zipPath, env.options.sizeBytes);
  const zipId = await env.sandbox.addFileFromDisk({
    parentId: 0,
    name: "bench-frames.zip",
    path: zipPath,
    contentType: "application/zip",
  });
  note(
    `generated a zip of ${ZIP_MEMBERS} members in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
  );
  const zipBefore = env.sandbox.servedBytes(zipId);
  const listing = await callTool(server.client, "read_file", { file_id: zipId });
  const zipFetched = env.sandbox.servedBytes(zipId) - zipBefore;
  if (listing.structured.total_entries !== ZIP_MEMBERS) {
    throw new Error(`listing counted ${String(listing.structured.total_entries)} members`);
  }
  const folderBefore = env.sandbox.servedBytes(zipId);
  const folder = await callTool(server.client, "read_file", { file_id: zipId, entry: "shots/shot_099/" });
  const folderFetched = env.sandbox.servedBytes(zipId) - folderBefore;
  note(
    `zip listing: ${zipFetched} B fetched in ${listing.elapsedMs.toFixed(0)} ms; one folder (${String(folder.structured.total_entries)} members, whole directory read) ${folderFetched} B in ${folder.elapsedMs.toFixed(0)} ms`,
  );

  return [
    valueResult({
      name: `read_file tail 100 lines of ${label} log, bytes fetched`,
      label: "median",
      value: median(tailBytes) / 1024,
      unit: "KiB",
      digits: 1,
      comparison: "<=",
      target: 1024,
      details: { bytes: tailBytes },
    }),
    ratioResult({
      name: `read_file tail 100 lines of ${label} log`,
      measuredLabel: "tail",
      baselineLabel: "download_files",
      value: median(tailMs) / 1000,
      baseline: median(downloadMs) / 1000,
      unit: "s",
      digits: 3,
      comparison: "<=",
      target: 0.02,
      details: { tailMs, downloadMs },
    }),
    ratioResult({
      // Throughput ≥ 0.8 of the wire's is the same target as time ≤ 1.25 × the raw GET's.
      name: `read_file grep over ${label} log vs raw GET (throughput ≥ 0.8 ⇔ time ≤ 1.25)`,
      measuredLabel: "grep",
      baselineLabel: "raw GET",
      value: median(grepMs) / 1000,
      baseline: median(rawMs) / 1000,
      unit: "s",
      comparison: "<=",
      target: 1.25,
      details: { grepMs, rawMs, matches, throughputRatio: median(rawMs) / median(grepMs) },
    }),
    valueResult({
      name: `read_file list ${label} zip of ${ZIP_MEMBERS} members, bytes fetched`,
      label: "",
      value: zipFetched / 1024,
      unit: "KiB",
      digits: 0,
      comparison: "<=",
      target: 2048,
      details: { listingMs: listing.elapsedMs, folderFetchedBytes: folderFetched },
    }),
  ];
}
