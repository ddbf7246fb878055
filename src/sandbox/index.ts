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
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Logger, silentLogger } from "../log.js";
import { DEFAULT_CHUNK_SIZE_MB, FilesApi } from "./api.js";
import { FaultInjector } from "./faults.js";
import { generateOrganization } from "./generate.js";
import { ObjectStore, Presigner } from "./s3.js";
import { SEED, seedOrganization } from "./seed.js";
import { API_BASE_PATH, createRequestListener, type ServerDeps } from "./server.js";
import { SignatureChecker } from "./signing-check.js";
import {
  type EntryRecord,
  type MachineRecord,
  machineStorage,
  SandboxState,
  SHARED_STORAGE,
  type StorageKey,
  sortForListing,
} from "./state.js";
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

  let origin = "";
  const parts = await assembleParts(options, dataDir, clock, logger, () => origin);
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const bandwidth = { bytesPerSecond: options.connectionBytesPerSecond ?? null };
  // Every request held by injected latency listens for close: a 16-wide walk holds 16 at once.
  setMaxListeners(256, closing.signal);

  const server = createSandboxServer({
    api: parts.api,
    s3: { store: parts.store, presigner: parts.presigner, bandwidth },
    faults: parts.faults,
    checker: new SignatureChecker(apiKey, apiSecret, clock),
    requests,
    clock,
    logger,
    closing: closing.signal,
  });
  origin = await listenOn(server, options.port ?? 0, host);

  const { state, faults } = parts;
  return {
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
    ...arrangingControls(parts),
    ...inspectingControls(parts),
    close: closeOnce(parts, server, closing, ownsDataDir ? dataDir : null),
  };
}

/** The sandbox's working parts: object storage, the seeded state, zip jobs, the API handlers, faults. */
interface SandboxParts {
  store: ObjectStore;
  state: SandboxState;
  presigner: Presigner;
  jobs: ZipJobs;
  api: FilesApi;
  faults: FaultInjector;
}

/** `originOf` is read when a URL is presigned: the port is known only once the server listens. */
async function assembleParts(
  options: SandboxOptions,
  dataDir: string,
  clock: () => number,
  logger: Logger,
  originOf: () => string,
): Promise<SandboxParts> {
  const store = new ObjectStore(dataDir, clock);
  await store.init();
  const state = new SandboxState(store, clock, options.storageQuotaBytes ?? DEFAULT_STORAGE_QUOTA_BYTES, {
    shape: options.shape ?? "jsonapi",
    multipleFileDownload: options.multipleFileDownload ?? true,
  });
  seedOrganization(state, { content: options.seed !== false });

  const presigner = new Presigner(originOf, clock);
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
  return { store, state, presigner, jobs, api, faults };
}

function createSandboxServer(deps: ServerDeps): Server {
  const server = createServer(createRequestListener(deps));
  // Long keep-alive for benchmark clients; no overall request timeout, a 1 GiB part may take a while.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
  return server;
}

/** Listens on host:port (0 = a free port) and answers the origin clients reach it at. */
async function listenOn(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return `http://${host.includes(":") ? `[${host}]` : host}:${boundPort}`;
}

function machineOf(state: SandboxState, machineId: number): MachineRecord {
  const machine = state.machines.get(machineId);
  if (!machine) throw new Error(`The sandbox has no machine ${machineId}`);
  return machine;
}

function storageKeyOf(state: SandboxState, machineId: number | null | undefined): StorageKey {
  return machineId === undefined || machineId === null
    ? SHARED_STORAGE
    : machineStorage(machineOf(state, machineId).id);
}

/** parentId 0 = the root of the machine's (or the shared) storage. */
function folderFor(state: SandboxState, parentId: number, machineId: number | null | undefined): EntryRecord {
  const folder = parentId === 0 ? state.rootOf(storageKeyOf(state, machineId)) : state.liveEntry(parentId);
  if (!folder || folder.kind === "file") throw new Error(`No folder ${parentId} in the sandbox`);
  return folder;
}

function refuseClash(state: SandboxState, parent: EntryRecord, name: string): void {
  if (state.findBlockingSibling(parent.id, name))
    throw new Error(`"${name}" already exists in folder ${parent.id}`);
}

/** What tests arrange the organization with: entries added behind the API's back, machine and quota state. */
function arrangingControls({
  state,
  jobs,
}: SandboxParts): Pick<
  Sandbox,
  | "addDirectory"
  | "addFile"
  | "addFileFromDisk"
  | "generateOrganization"
  | "releaseZipJob"
  | "setMachineRunning"
  | "setMultipleFileDownload"
  | "setStorageQuota"
> {
  return {
    addDirectory: ({ parentId, name, machineId }) => {
      const parent = folderFor(state, parentId, machineId);
      refuseClash(state, parent, name);
      // In the recordings tree, machineId names the machine the session ran on.
      const recordedOn = parent.storage === "recordings" ? (machineId ?? null) : undefined;
      return state.addDirectory(parent, name, { recordedOnMachineId: recordedOn }).id;
    },
    addFile: async ({ parentId, name, content, contentType, machineId }) => {
      const parent = folderFor(state, parentId, machineId);
      refuseClash(state, parent, name);
      const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
      return state.addCompletedFile(parent, name, bytes, contentType ?? "application/octet-stream").id;
    },
    addFileFromDisk: async ({ parentId, name, path, contentType }) => {
      const parent = folderFor(state, parentId, null);
      refuseClash(state, parent, name);
      const { size } = await stat(path);
      return state.adoptCompletedFile(parent, name, path, size, contentType ?? "application/octet-stream").id;
    },
    generateOrganization: ({ parentId, machineId, ...options } = {}) => {
      const parent = folderFor(state, parentId ?? 0, machineId);
      // In the recordings tree, machineId names the machine the sessions ran on (as addDirectory).
      const recordedOn = parent.storage === "recordings" ? (machineId ?? null) : undefined;
      return generateOrganization(state, parent, { ...options, recordedOnMachineId: recordedOn });
    },
    releaseZipJob: (downloadId) => {
      const job = jobs.get(downloadId);
      if (!job) throw new Error(`The sandbox has no zip job ${downloadId}`);
      return jobs.release(job);
    },
    setMachineRunning: (machineId, running) => {
      machineOf(state, machineId).running = running;
    },
    setMultipleFileDownload: (enabled) => {
      state.multipleFileDownload = enabled;
    },
    setStorageQuota: (bytes, machineId) => {
      state.storageByKey(storageKeyOf(state, machineId)).quotaBytes = bytes;
    },
  };
}

/** What tests read back: entries, folder contents, roots, stored bytes, zip jobs. */
function inspectingControls({
  state,
  store,
  jobs,
}: SandboxParts): Pick<
  Sandbox,
  | "getEntry"
  | "children"
  | "rootId"
  | "recordingsRootId"
  | "readFile"
  | "servedBytes"
  | "readsInFlight"
  | "getJob"
> {
  /** A per-object count (ObjectStore) for the file `id`: 0 for a folder or an unfinished upload. */
  const perObject = (counts: Map<string, number>, id: number) => {
    const key = state.entries.get(id)?.objectKey;
    return key ? (counts.get(key) ?? 0) : 0;
  };
  return {
    getEntry: (id) => {
      const entry = state.entries.get(id);
      return entry ? state.toPublic(entry) : undefined;
    },
    children: (parentId) =>
      sortForListing(state.childrenOf(parentId === 0 ? state.rootOf(SHARED_STORAGE).id : parentId)).map(
        (entry) => state.toPublic(entry),
      ),
    rootId: (machineId) => state.rootOf(storageKeyOf(state, machineId)).id,
    recordingsRootId: () => state.rootOf("recordings").id,
    readFile: async (id) => {
      const entry = state.liveEntry(id);
      const object = entry?.objectKey ? store.objects.get(entry.objectKey) : undefined;
      if (!object) throw new Error(`No completed file ${id} in the sandbox`);
      return store.readAll(object);
    },
    servedBytes: (id) => perObject(store.servedBytes, id),
    readsInFlight: (id) => perObject(store.readsInFlight, id),
    getJob: (downloadId) => {
      const job = jobs.get(downloadId);
      return job ? jobs.toPublic(job) : undefined;
    },
  };
}

/**
 * close(): ends held requests and zip timers, stops the server and removes the data folder the
 * sandbox made itself (`ownedDataDir`, null when the caller gave one). A second call does nothing.
 */
function closeOnce(
  { jobs, store }: SandboxParts,
  server: Server,
  closing: AbortController,
  ownedDataDir: string | null,
): () => Promise<void> {
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    closing.abort();
    jobs.close();
    store.close();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await stopped;
    if (ownedDataDir !== null) await rm(ownedDataDir, { recursive: true, force: true, maxRetries: 3 });
  };
}
