// The embedded Vagon Files API: a real HTTP server on loopback that behaves like files-api.md
// says Vagon behaves, plus the S3 presigned URLs it hands out (served by the same server under
// /s3/...). Used by `--sandbox`, the tests and the benchmarks.
//
// Behaviours the docs leave open, decided here:
// - per_page defaults to 20; values above 100 are clamped to 100, below 1 refused (400);
// - `q` filters the listed folder by name, case-insensitively; listings show folders first, then by name;
// - create with overwrite=true keeps the old file until the new upload completes, then deletes it;
// - a completed object is stored as its part files back to back (no second copy of the bytes);
// - faults are decided before auth and before any state change, so a faulted request did nothing.
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../log.js";
import { DEFAULT_CHUNK_SIZE_MB, FilesApi } from "./api.js";
import { FaultInjector } from "./faults.js";
import { generateOrganization } from "./generate.js";
import { ObjectStore, Presigner } from "./s3.js";
import { SEED, seedOrganization } from "./seed.js";
import { API_BASE_PATH, createRequestListener } from "./server.js";
import { SignatureChecker } from "./signing-check.js";
import { type EntryRecord, machineStorage, SandboxState, SHARED_STORAGE, sortForListing } from "./state.js";
import type { RecordedRequest, ResponseShape, Sandbox, SandboxOptions } from "./types.js";
import { ZipJobs } from "./zip-jobs.js";

export { SEED } from "./seed.js";
export { API_BASE_PATH } from "./server.js";
export type * from "./types.js";
export { DEFAULT_CHUNK_SIZE_MB };

/** 25 GiB, the quota Vagon reports for a fresh organization (26843545600 bytes). */
export const DEFAULT_STORAGE_QUOTA_BYTES = 25 * 1024 ** 3;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? "127.0.0.1";
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "vagon-sandbox-")));
  const apiKey = options.apiKey ?? SEED.apiKey;
  const apiSecret = options.apiSecret ?? randomBytes(24).toString("hex");
  // The caller's logger must never print the secret; the shared silent logger needs no telling.
  options.logger?.addSecret(apiSecret);

  const store = new ObjectStore(dataDir, clock);
  await store.init();
  const state = new SandboxState(store, clock, options.storageQuotaBytes ?? DEFAULT_STORAGE_QUOTA_BYTES, {
    shape: options.shape ?? "jsonapi",
    multipleFileDownload: options.multipleFileDownload ?? true,
  });
  seedOrganization(state, { content: options.seed !== false });

  let origin = "";
  const presigner = new Presigner(() => origin, clock);
  const jobs = new ZipJobs({
    state,
    store,
    zipDir: join(dataDir, "zips"),
    pendingMs: options.zipJob?.pendingMs ?? 1000,
    processingMs: options.zipJob?.processingMs ?? 2000,
    clock,
    logger,
  });
  const api = new FilesApi({
    state,
    presigner,
    jobs,
    presignTtlSeconds: options.presignTtlSeconds ?? 3600,
    clock,
  });
  const faults = new FaultInjector();
  faults.configure(options.faults ?? null);
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const bandwidth = { bytesPerSecond: options.connectionBytesPerSecond ?? null };
  // Every request held by injected latency listens for close: a 16-wide walk holds 16 at once.
  setMaxListeners(256, closing.signal);

  const server = createServer(
    createRequestListener({
      api,
      s3: { store, presigner, bandwidth },
      faults,
      checker: new SignatureChecker(apiKey, apiSecret, clock),
      requests,
      clock,
      logger,
      closing: closing.signal,
    }),
  );
  // Long keep-alive for benchmark clients; no overall request timeout, a 1 GiB part may take a while.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  const machineOf = (machineId: number) => {
    const machine = state.machines.get(machineId);
    if (!machine) throw new Error(`The sandbox has no machine ${machineId}`);
    return machine;
  };
  const storageKeyOf = (machineId: number | null | undefined) =>
    machineId === undefined || machineId === null ? SHARED_STORAGE : machineStorage(machineOf(machineId).id);
  /** parentId 0 = the root of the machine's (or the shared) storage. */
  const folderFor = (parentId: number, machineId: number | null | undefined): EntryRecord => {
    const folder = parentId === 0 ? state.rootOf(storageKeyOf(machineId)) : state.liveEntry(parentId);
    if (!folder || folder.kind === "file") throw new Error(`No folder ${parentId} in the sandbox`);
    return folder;
  };
  const refuseClash = (parent: EntryRecord, name: string) => {
    if (state.findBlockingSibling(parent.id, name))
      throw new Error(`"${name}" already exists in folder ${parent.id}`);
  };

  let closed = false;
  const sandbox: Sandbox = {
    apiUrl: `${origin}${API_BASE_PATH}`,
    apiKey,
    apiSecret,
    get shape(): ResponseShape {
      return state.shape;
    },
    set shape(shape: ResponseShape) {
      state.shape = shape;
    },
    setFaults: (config) => faults.configure(config),
    setBandwidthCap: (bytesPerSecond) => {
      bandwidth.bytesPerSecond = bytesPerSecond;
    },
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    addDirectory: ({ parentId, name, machineId }) => {
      const parent = folderFor(parentId, machineId);
      refuseClash(parent, name);
      // In the recordings tree, machineId names the machine the session ran on.
      const recordedOn = parent.storage === "recordings" ? (machineId ?? null) : undefined;
      return state.addDirectory(parent, name, { recordedOnMachineId: recordedOn }).id;
    },
    addFile: async ({ parentId, name, content, contentType, machineId }) => {
      const parent = folderFor(parentId, machineId);
      refuseClash(parent, name);
      const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
      return state.addCompletedFile(parent, name, bytes, contentType ?? "application/octet-stream").id;
    },
    addFileFromDisk: async ({ parentId, name, path, contentType }) => {
      const parent = folderFor(parentId, null);
      refuseClash(parent, name);
      const { size } = await stat(path);
      return state.adoptCompletedFile(parent, name, path, size, contentType ?? "application/octet-stream").id;
    },
    generateOrganization: ({ parentId, machineId, ...options } = {}) => {
      const parent = folderFor(parentId ?? 0, machineId);
      // In the recordings tree, machineId names the machine the sessions ran on (as addDirectory).
      const recordedOn = parent.storage === "recordings" ? (machineId ?? null) : undefined;
      return generateOrganization(state, parent, { ...options, recordedOnMachineId: recordedOn });
    },
    getEntry: (id) => {
      const entry = state.entries.get(id);
      return entry ? state.toPublic(entry) : undefined;
    },
    children: (parentId) =>
      sortForListing(state.childrenOf(parentId === 0 ? state.rootOf(SHARED_STORAGE).id : parentId)).map(
        (entry) => state.toPublic(entry),
      ),
    rootId: (machineId) => state.rootOf(storageKeyOf(machineId)).id,
    recordingsRootId: () => state.rootOf("recordings").id,
    readFile: async (id) => {
      const entry = state.liveEntry(id);
      const object = entry?.objectKey ? store.objects.get(entry.objectKey) : undefined;
      if (!object) throw new Error(`No completed file ${id} in the sandbox`);
      return store.readAll(object);
    },
    servedBytes: (id) => {
      const key = state.entries.get(id)?.objectKey;
      return key ? (store.servedBytes.get(key) ?? 0) : 0;
    },
    getJob: (downloadId) => {
      const job = jobs.get(downloadId);
      return job ? jobs.toPublic(job) : undefined;
    },
    releaseZipJob: (downloadId) => {
      const job = jobs.get(downloadId);
      if (!job) throw new Error(`The sandbox has no zip job ${downloadId}`);
      return jobs.release(job);
    },
    setMachineRunning: (machineId, running) => {
      machineOf(machineId).running = running;
    },
    setMultipleFileDownload: (enabled) => {
      state.multipleFileDownload = enabled;
    },
    setStorageQuota: (bytes, machineId) => {
      state.storageByKey(storageKeyOf(machineId)).quotaBytes = bytes;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      closing.abort();
      jobs.close();
      store.close();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  return sandbox;
}
