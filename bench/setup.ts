// One run's shared world: the sandbox (in this process), a temp root the server may use, the big
// file (generated once, lazily), the server under test (spawned once, lazily) and a signed client
// for the baselines' API calls. Benchmarks hand results to each other through it (the download
// bench reuses the entry the upload bench left behind; context reuses the 5,000-entry folder).
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/types.js";
import { createVagonClient } from "../src/vagon/client.js";
import type { VagonClient } from "../src/vagon/types.js";
import {
  generateFile,
  MB,
  note,
  removeQuietly,
  type ServerUnderTest,
  setServerCacheHome,
  sizeLabel,
  startServer,
} from "./lib.js";

export interface BenchOptions {
  /** Size of the big transfer file. */
  sizeBytes: number;
  /** Baseline/measured pairs per transfer benchmark (run ABBA…). */
  rounds: number;
  /** Length of the long zip job whose polls are counted. */
  zipJobSeconds: number;
  listEntries: number;
}

export interface BenchEnv {
  options: BenchOptions;
  workDir: string;
  /** The root the server is started with (--root). */
  rootDir: string;
  sandbox: Sandbox;
  vagon: VagonClient;
  bigFile(): Promise<string>;
  server(): Promise<ServerUnderTest>;
  /** Shared-storage id of a completed upload of the big file, left by the upload bench. */
  uploadedFileId: number | null;
  /** A folder holding options.listEntries small files. */
  listFolder(): Promise<number>;
  close(): Promise<void>;
}

export async function createBenchEnv(options: BenchOptions): Promise<BenchEnv> {
  const workDir = await mkdtemp(join(tmpdir(), "vagon-bench-"));
  const rootDir = join(workDir, "root");
  await mkdir(rootDir, { recursive: true });
  const sandbox = await startSandbox({
    // Room for several GiB in flight; the bench deletes what it no longer needs.
    storageQuotaBytes: 1024 * 1024 * 1024 * 1024,
    dataDir: join(workDir, "sandbox-data"),
  });
  // A user's server starts with its code cache, made by its first start: so do the measured ones.
  setServerCacheHome(join(workDir, "cache"));
  await (await startServer({ sandbox, roots: [rootDir] })).close();
  const vagon = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
  });

  let bigFile: Promise<string> | null = null;
  let server: Promise<ServerUnderTest> | null = null;
  let listFolder: Promise<number> | null = null;

  const env: BenchEnv = {
    options,
    workDir,
    rootDir,
    sandbox,
    vagon,
    uploadedFileId: null,
    bigFile() {
      bigFile ??= (async () => {
        const filePath = join(rootDir, `bench-${Math.round(options.sizeBytes / MB)}MB.bin`);
        const startedAt = performance.now();
        await generateFile(filePath, options.sizeBytes);
        note(
          `generated ${sizeLabel(options.sizeBytes)} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
        );
        return filePath;
      })();
      return bigFile;
    },
    server() {
      server ??= startServer({ sandbox, roots: [rootDir] });
      return server;
    },
    listFolder() {
      listFolder ??= seedListFolder(sandbox, options.listEntries);
      return listFolder;
    },
    async close() {
      if (server) await (await server).close().catch(() => {});
      await vagon.close().catch(() => {});
      await sandbox.close().catch(() => {});
      await removeQuietly(workDir);
    },
  };
  return env;
}

const FILE_TYPES = [
  ["png", "image/png"],
  ["exr", "image/x-exr"],
  ["json", "application/json"],
  ["log", "text/plain"],
  ["mp4", "video/mp4"],
  ["blend", "application/octet-stream"],
  ["txt", "text/plain"],
  ["csv", "text/csv"],
] as const;

/** A folder of believable render outputs: names and sizes vary like a real project's. */
async function seedListFolder(sandbox: Sandbox, count: number): Promise<number> {
  const startedAt = performance.now();
  const folderId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: `Render outputs ${count}` });
  const batchSize = 100;
  for (let start = 0; start < count; start += batchSize) {
    const batch: Promise<number>[] = [];
    for (let index = start; index < Math.min(count, start + batchSize); index++) {
      const [extension, contentType] = FILE_TYPES[index % FILE_TYPES.length]!;
      const name = `shot_${String(Math.floor(index / 50) + 1).padStart(3, "0")}_frame_${String(index).padStart(5, "0")}.${extension}`;
      batch.push(
        sandbox.addFile({
          parentId: folderId,
          name,
          content: Buffer.alloc(64 + ((index * 7919) % 4000), index),
          contentType,
        }),
      );
    }
    await Promise.all(batch);
  }
  note(`seeded ${count} files in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  return folderId;
}
