import { createHash, randomBytes } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger, type LogRecord } from "../../src/log.js";
import { SEED, startSandbox } from "../../src/sandbox/index.js";
import type { Sandbox, SandboxRoute } from "../../src/sandbox/types.js";
import { createVagonClient, toWindowsPath, type VagonClientOptions } from "../../src/vagon/client.js";
import { VagonError } from "../../src/vagon/errors.js";
import { backoffDelayMs, parseRetryAfterMs } from "../../src/vagon/retry.js";
import type { Entry, FileListPage, VagonClient } from "../../src/vagon/types.js";

let sandbox: Sandbox;
let client: VagonClient;
const extraClients: VagonClient[] = [];

function clientFor(overrides: Partial<VagonClientOptions> = {}): VagonClient {
  const created = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    retryBaseDelayMs: 5,
    ...overrides,
  });
  extraClients.push(created);
  return created;
}

/** The error a promise rejects with; fails the test when it resolves. */
async function failureOf(promise: Promise<unknown>): Promise<VagonError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(VagonError);
    return error as VagonError;
  }
  throw new Error("expected the call to fail");
}

/** Authorization headers as undici sends them (its diagnostics channel sees every request). */
function watchAuthorizationHeaders(): { headers: string[]; stop: () => void } {
  const headers: string[] = [];
  const onCreate = (message: unknown) => {
    const sent = (message as { request: { headers: string[] | string } }).request.headers;
    const pairs = Array.isArray(sent) ? sent : [];
    for (let index = 0; index < pairs.length; index += 2) {
      if (pairs[index]?.toLowerCase() === "authorization") headers.push(pairs[index + 1] ?? "");
    }
  };
  diagnosticsChannel.subscribe("undici:request:create", onCreate);
  return { headers, stop: () => diagnosticsChannel.unsubscribe("undici:request:create", onCreate) };
}

function requestsTo(route: SandboxRoute) {
  return sandbox.requests.filter((recorded) => recorded.route === route);
}

beforeAll(async () => {
  sandbox = await startSandbox({ zipJob: { pendingMs: 50, processingMs: 50 } });
  client = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    retryBaseDelayMs: 5,
  });
});

afterEach(() => {
  sandbox.setFaults(null);
  sandbox.shape = "jsonapi";
  sandbox.setMultipleFileDownload(true);
  sandbox.setMachineRunning(SEED.stoppedMachineId, false);
  sandbox.clearRequests();
});

afterAll(async () => {
  await Promise.all([client.close(), ...extraClients.map((extra) => extra.close())]);
  await sandbox.close();
});

describe("both response shapes read the same", () => {
  async function readEverything() {
    const job = await client.startDownload({ directoryId: SEED.projectFolderId });
    if (job.kind !== "job") throw new Error("a folder download should be a zip job");
    return {
      sharedRoot: await client.listFiles({ location: "shared" }),
      sharedRootExplicitZero: await client.listFiles({ location: "shared", parentId: 0 }),
      projectFolder: await client.listFiles({ location: "shared", parentId: SEED.projectFolderId }),
      secondPage: await client.listFiles({ location: "shared", perPage: 1, page: 2 }),
      search: await client.listFiles({ location: "shared", query: "project" }),
      machineRoot: await client.listFiles({ location: "machine", machineId: SEED.runningMachineId }),
      machineFolder: await client.listFiles({
        location: "machine",
        machineId: SEED.runningMachineId,
        parentId: SEED.machineProjectFolderId,
      }),
      recordings: await client.listFiles({ location: "recordings" }),
      recordingsOfMachine: await client.listFiles({
        location: "recordings",
        machineId: SEED.runningMachineId,
      }),
      session: await client.listFiles({ location: "recordings", parentId: SEED.sessionFolderId }),
      liveDisk: await client.listMachineContent(SEED.runningMachineId, "C:/Users"),
      singleFile: await client.startDownload({ fileIds: [SEED.sharedTextFileId] }),
      jobStart: { ...job, downloadId: 0 },
    };
  }

  const withoutUrls = (value: unknown) =>
    JSON.parse(JSON.stringify(value), (key, field) => (key === "url" ? typeof field : field)) as unknown;

  it("every read method normalizes jsonapi and flat answers identically", async () => {
    sandbox.shape = "jsonapi";
    const fromJsonApi = await readEverything();
    sandbox.shape = "flat";
    const fromFlat = await readEverything();
    // Recordings carry the machine they ran on only in the current shape (the older revision's
    // listings have no machine_id, and an unfiltered recordings listing can't infer it).
    for (const page of [fromJsonApi.recordings, fromJsonApi.session]) {
      expect(page.entries.every((entry) => typeof entry.machine_id === "number")).toBe(true);
      for (const entry of page.entries) entry.machine_id = null;
    }
    // Presigned links are minted per call; everything else must match field for field.
    expect(withoutUrls(fromFlat)).toEqual(withoutUrls(fromJsonApi));

    // And what was read is what the sandbox holds, in the normalized vocabulary.
    expect(fromFlat.sharedRoot.folder).toEqual({ id: 0, name: "Teams Shared Folder", path: null });
    expect(fromFlat.sharedRoot.storage?.totalBytes).toBe(26843545600);
    expect(fromFlat.sharedRootExplicitZero).toEqual(fromFlat.sharedRoot);
    const project = fromFlat.sharedRoot.entries.find((entry) => entry.id === SEED.projectFolderId);
    expect(project).toMatchObject({
      kind: "directory",
      size: null,
      content_type: null,
      path: "/Project Folder",
    });
    expect(fromFlat.projectFolder.folder?.id).toBe(SEED.projectFolderId);
    expect(fromFlat.secondPage.entries).toHaveLength(1);
    expect(fromFlat.secondPage.page).toBe(2);
    expect(fromFlat.search.entries.map((entry) => entry.name)).toContain("Project Folder");
    expect(fromFlat.machineRoot.entries.every((entry) => entry.machine_id === SEED.runningMachineId)).toBe(
      true,
    );
    expect(fromFlat.liveDisk.map((item) => item.path)).toContain("C:\\Users\\Administrator");
    expect(fromFlat.singleFile).toMatchObject({ kind: "link" });
  });

  it("a task listing matches too, except machine_id, which the flat revision doesn't carry", async () => {
    const listTask = () =>
      client.listFiles({ location: "machine", machineId: SEED.runningMachineId, taskId: SEED.taskId });
    const dropMachine = (page: FileListPage) =>
      page.entries.map(({ machine_id: _machineId, ...rest }: Entry) => rest);
    const fromJsonApi = await listTask();
    sandbox.shape = "flat";
    const fromFlat = await listTask();
    expect(dropMachine(fromFlat)).toEqual(dropMachine(fromJsonApi));
    expect(fromFlat.entries.map((entry) => entry.id).sort()).toEqual(
      [SEED.sessionFolderId, SEED.taskOutputFolderId].sort(),
    );
    expect(fromFlat.entries.every((entry) => entry.kind === "directory")).toBe(true);
  });

  it("download job status reads the same in both shapes", async () => {
    const started = await client.startDownload({ directoryId: SEED.projectFolderId });
    if (started.kind !== "job") throw new Error("expected a zip job");
    await sandbox.releaseZipJob(started.downloadId);
    const fromJsonApi = await client.getDownload(started.downloadId);
    sandbox.shape = "flat";
    const fromFlat = await client.getDownload(started.downloadId);
    expect(withoutUrls(fromFlat)).toEqual(withoutUrls(fromJsonApi));
    expect(fromFlat).toMatchObject({ downloadId: started.downloadId, status: "uploaded" });
    expect(fromFlat.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(fromFlat.sizeBytes).toBe(started.sizeBytes);
  });

  it("creates answer the same in both shapes", async () => {
    const inJsonApi = await client.createDirectory({ name: "Shape A", parentId: 0 });
    sandbox.shape = "flat";
    const inFlat = await client.createDirectory({ name: "Shape B", parentId: 0 });
    for (const created of [inJsonApi, inFlat]) {
      expect(Number.isSafeInteger(created.id)).toBe(true);
      expect(typeof created.uid).toBe("string");
      expect(sandbox.getEntry(created.id)).toMatchObject({ kind: "directory", parentId: SEED.sharedRootId });
    }
  });
});

describe("uploading", () => {
  it("uploads a 20 MB file in 3 parts over raw PUTs and the bytes round-trip", async () => {
    const bytes = randomBytes(20 * 1024 * 1024);
    const created = await client.createFile({
      fileName: "big-upload.bin",
      contentType: "application/octet-stream",
      sizeBytes: bytes.length,
      parentId: 0,
      chunkSizeMb: 8,
    });
    expect(created.chunkSizeMb).toBe(8);
    expect(created.uploadUrls.map((part) => part.partNumber)).toEqual([1, 2, 3]);

    const partSizeBytes = created.chunkSizeMb * 1024 * 1024;
    const parts = await Promise.all(
      created.uploadUrls.map(async ({ partNumber, url }) => {
        const slice = bytes.subarray((partNumber - 1) * partSizeBytes, partNumber * partSizeBytes);
        const response = await client.http.request(url, { method: "PUT", body: slice });
        await response.body.dump();
        expect(response.statusCode).toBe(200);
        const etag = String(response.headers.etag);
        expect(etag).toBe(`"${createHash("md5").update(slice).digest("hex")}"`);
        return { partNumber, etag };
      }),
    );
    // Given out of order: the client sends them sorted, as Vagon requires.
    const completed = await client.completeUpload(created.id, [...parts].reverse());
    expect(completed.uid).toBe(created.uid);
    expect(completed.downloadUrl).toMatch(/^http/);

    const stored = await sandbox.readFile(created.id);
    expect(stored.equals(bytes)).toBe(true);
    const listed = await client.listFiles({ location: "shared", query: "big-upload" });
    expect(listed.entries[0]).toMatchObject({ id: created.id, kind: "file", size: bytes.length });
  });

  it("creates a folder and deletes it", async () => {
    const folder = await client.createDirectory({ name: "Temp Folder", parentId: SEED.projectFolderId });
    await client.deleteFile(folder.id);
    expect(sandbox.getEntry(folder.id)?.deleted).toBe(true);
  });
});

describe("credentials and secrets", () => {
  it("a wrong secret gives a 401 that names the settings and leaks nothing", async () => {
    const wrongSecret = "wrong-secret-8f3a9c2b7d1e";
    const records: LogRecord[] = [];
    const logger = createLogger({ level: "debug", stderr: false });
    logger.addSink((record) => records.push(record));
    const wrong = clientFor({ apiSecret: wrongSecret, logger });

    const error = await failureOf(wrong.listFiles({ location: "shared" }));
    expect(error).toMatchObject({ status: 401, kind: "api", retryable: false, operation: "list-files" });
    expect(error.message).toMatch(/Check VAGON_API_KEY and VAGON_API_SECRET/);
    for (const text of [error.message, JSON.stringify(error), String(error.stack), JSON.stringify(records)]) {
      expect(text).not.toContain(wrongSecret);
      expect(text).not.toMatch(/HMAC /);
    }
    // Not retried: a wrong signature stays wrong.
    expect(requestsTo("list-files")).toHaveLength(1);
    // Debug lines say what happened, without headers.
    expect(records.at(-1)).toMatchObject({
      level: "debug",
      fields: { method: "GET", path: "/files", status: 401, attempt: 1 },
    });
    expect(records.at(-1)?.fields?.ms).toEqual(expect.any(Number));
  });

  it("a clock more than 5 minutes off is named as such", async () => {
    const skewed = await startSandbox({ seed: false, clock: () => Date.now() + 10 * 60 * 1000 });
    try {
      const skewedClient = createVagonClient({
        apiUrl: skewed.apiUrl,
        apiKey: skewed.apiKey,
        apiSecret: skewed.apiSecret,
      });
      extraClients.push(skewedClient);
      const error = await failureOf(skewedClient.listFiles({ location: "shared" }));
      expect(error.status).toBe(401);
      expect(error.message).toMatch(/clock seems to be off by more than 5 minutes\. Fix the system clock/);
    } finally {
      await skewed.close();
    }
  });
});

describe("retries", () => {
  it("survives 5xx answers by re-signing every attempt with a fresh nonce", async () => {
    sandbox.setFaults({ seed: 1, routes: { "list-files": { error5xx: 0.5 } } });
    // The seeded fault sequence has a run of 7 failures: allow for it.
    const patient = clientFor({ maxRetries: 10 });
    const watch = watchAuthorizationHeaders();
    try {
      for (let call = 0; call < 8; call += 1) {
        const page = await patient.listFiles({ location: "shared" });
        expect(page.folder?.name).toBe("Teams Shared Folder");
      }
    } finally {
      watch.stop();
    }
    const served = requestsTo("list-files");
    const faulted = served.filter((recorded) => recorded.fault === "error5xx");
    expect(faulted.length).toBeGreaterThan(0);
    expect(served.filter((recorded) => recorded.status === 200)).toHaveLength(8);
    // A reused nonce would have been refused with 401.
    expect(served.some((recorded) => recorded.status === 401)).toBe(false);
    expect(served).toHaveLength(8 + faulted.length);
    // Every attempt carried its own signature: a new nonce and a fresh timestamp.
    expect(watch.headers).toHaveLength(served.length);
    const nonces = watch.headers.map((header) => header.split(":")[2]);
    expect(new Set(nonces).size).toBe(served.length);
    const timestamps = watch.headers.map((header) => Number(header.split(":")[3]));
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
  });

  it("waits as long as Retry-After asks on 429", async () => {
    sandbox.setFaults({ seed: 1, routes: { "list-files": { rateLimit429: 1, retryAfterSeconds: 1 } } });
    const once = clientFor({ maxRetries: 1 });
    const startedMs = Date.now();
    const error = await failureOf(once.listFiles({ location: "shared" }));
    const elapsedMs = Date.now() - startedMs;
    // Backoff alone would wait at most 5 ms here.
    expect(elapsedMs).toBeGreaterThanOrEqual(950);
    expect(elapsedMs).toBeLessThan(5000);
    expect(requestsTo("list-files")).toHaveLength(2);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 1000 });
    expect(error.message).toMatch(/rate-limiting .*\(2 attempts\).*wait 1 second,/);
  });

  it("gets through an occasional 429", async () => {
    sandbox.setFaults({
      seed: 3,
      routes: { "download-status": { rateLimit429: 0.5, retryAfterSeconds: 0 } },
    });
    const started = await client.startDownload({ directoryId: SEED.projectFolderId });
    if (started.kind !== "job") throw new Error("expected a zip job");
    const patient = clientFor({ maxRetries: 10 });
    for (let call = 0; call < 6; call += 1) await patient.getDownload(started.downloadId);
    const served = requestsTo("download-status");
    expect(served.some((recorded) => recorded.status === 429)).toBe(true);
    expect(served.filter((recorded) => recorded.status === 200)).toHaveLength(6);
  });

  it("never repeats a create whose answer was lost after sending", async () => {
    sandbox.setFaults({ seed: 1, routes: { create: { drop: 1 } } });
    const error = await failureOf(
      client.createFile({ fileName: "lost.txt", contentType: "text/plain", sizeBytes: 4, parentId: 0 }),
    );
    expect(error.kind).toBe("network");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/may have reached Vagon: list the folder to check/);
    expect(requestsTo("create")).toHaveLength(1);
  });

  it("never repeats a create after a 500 or 502, only after an explicit 503", async () => {
    sandbox.setFaults({ seed: 2, routes: { create: { error5xx: 1 } } });
    const error = await failureOf(
      client.createFile({ fileName: "five.txt", contentType: "text/plain", sizeBytes: 4, parentId: 0 }),
    );
    const statuses = requestsTo("create").map((recorded) => recorded.status);
    // Every attempt but the last was answered 503; a 500/502 ends the call at once.
    expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true);
    expect(statuses.at(-1)).toBe(error.status);
    expect(statuses.length).toBe(error.status === 503 ? 4 : statuses.length);
    if (error.status !== 503) expect(error.message).toMatch(/not known whether the entry was created/);
    expect(error.status).toBeGreaterThanOrEqual(500);
  });

  it("never repeats a complete after a 5xx that may have done the work", async () => {
    sandbox.setFaults({ seed: 5, routes: { complete: { error5xx: 1 } } });
    const error = await failureOf(client.completeUpload(999_999, [{ partNumber: 1, etag: '"x"' }]));
    const statuses = requestsTo("complete").map((recorded) => recorded.status);
    expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true);
    expect(error.status).toBe(statuses.at(-1));
  });

  it("repeats the read-only list-content POST after dropped connections", async () => {
    sandbox.setFaults({ seed: 4, routes: { "list-content": { drop: 0.4 } } });
    const patient = clientFor({ maxRetries: 10 });
    for (let call = 0; call < 5; call += 1) {
      const items = await patient.listMachineContent(SEED.runningMachineId, SEED.liveDiskPath);
      expect(items.length).toBeGreaterThan(0);
    }
    expect(requestsTo("list-content").some((recorded) => recorded.fault === "drop")).toBe(true);
  });

  it("a delete whose first answer was lost still succeeds", async () => {
    const fileId = await sandbox.addFile({ parentId: 0, name: "to-delete.txt", content: "bye" });
    sandbox.setFaults({ seed: 7, routes: { delete: { drop: 0.6 } } });
    await client.deleteFile(fileId);
    expect(sandbox.getEntry(fileId)?.deleted).toBe(true);
  });

  it("a delete answered 500, then 404, was done by the first attempt: already gone", async () => {
    const fileId = await sandbox.addFile({ parentId: 0, name: "gone-twice.txt", content: "bye" });
    await client.deleteFile(fileId);
    sandbox.clearRequests();
    // Seed 7 answers the first DELETE 500 (it may have done the work) and lets the second through.
    sandbox.setFaults({ seed: 7, routes: { delete: { error5xx: 0.5 } } });
    await expect(client.deleteFile(fileId)).resolves.toEqual({ alreadyGone: true });
    expect(requestsTo("delete").map((recorded) => recorded.status)).toEqual([500, 404]);
  });

  it("a success whose body isn't JSON (a proxy's page) is an answer it doesn't understand", async () => {
    const proxy = createHttpServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end("<html>Gateway login</html>");
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const address = proxy.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const proxied = clientFor({ apiUrl: `http://127.0.0.1:${port}/organization-management/v1` });
      const error = await failureOf(proxied.listFiles({ location: "shared" }));
      expect(error).toMatchObject({ kind: "invalid-response", status: 200 });
      expect(error.message).toMatch(
        /with a response this client doesn't understand \(the body is not JSON\)/,
      );
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("gives up on a refused connection with a message about reaching Vagon", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const unreachable = clientFor({
      apiUrl: `http://127.0.0.1:${port}/organization-management/v1`,
      maxRetries: 2,
    });
    const error = await failureOf(unreachable.listFiles({ location: "shared" }));
    expect(error).toMatchObject({ kind: "network", status: null, retryable: true });
    expect(error.message).toMatch(
      /^Couldn't connect to Vagon at 127\.0\.0\.1:\d+: the connection was refused \(3 attempts\)/,
    );
  });

  it("reports a slow answer as a timeout", async () => {
    sandbox.setFaults({ seed: 1, routes: { "download-status": { latency: 1, latencyMs: 3000 } } });
    const impatient = clientFor({ headersTimeoutMs: 300, maxRetries: 0 });
    const error = await failureOf(impatient.getDownload(123));
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/didn't answer within 1 second while checking zip job 123/);
  });
});

describe("cancellation", () => {
  it("an abort ends a slow call at once, without retrying", async () => {
    sandbox.setFaults({ seed: 1, routes: { "list-files": { latency: 1, latencyMs: 5000 } } });
    const controller = new AbortController();
    const startedMs = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await failureOf(client.listFiles({ location: "shared" }, { signal: controller.signal }));
    expect(Date.now() - startedMs).toBeLessThan(1500);
    expect(error.name).toBe("AbortError");
    expect(error.kind).toBe("aborted");
    expect(requestsTo("list-files")).toHaveLength(1);
  });

  it("an already aborted signal sends nothing", async () => {
    const error = await failureOf(client.getDownload(1, { signal: AbortSignal.abort() }));
    expect(error.name).toBe("AbortError");
    expect(sandbox.requests).toHaveLength(0);
  });

  it("an abort during a retry wait ends the wait", async () => {
    sandbox.setFaults({ seed: 1, routes: { "list-files": { rateLimit429: 1, retryAfterSeconds: 20 } } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const startedMs = Date.now();
    const error = await failureOf(client.listFiles({ location: "shared" }, { signal: controller.signal }));
    expect(error.name).toBe("AbortError");
    expect(Date.now() - startedMs).toBeLessThan(2000);
  });
});

describe("every error the sandbox can produce reads right", () => {
  it("400: a stopped machine's disk", async () => {
    const error = await failureOf(client.listMachineContent(SEED.stoppedMachineId, "C:\\Users"));
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      "Machine 200 is not running, so its disk can't be listed. Start it in Vagon, then try again.",
    );
  });

  it("400: creating in a folder that doesn't exist", async () => {
    const error = await failureOf(client.createDirectory({ name: "x", parentId: 987_654 }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/folder 987654: the request was not valid.*List the parent folder/);
  });

  it("404: an unknown machine, task, folder, file or download", async () => {
    const machine = await failureOf(client.listFiles({ location: "machine", machineId: 999 }));
    expect(machine.status).toBe(404);
    expect(machine.message).toMatch(/^Machine 999 was not found in this organization/);
    const disk = await failureOf(client.listMachineContent(999, "C:\\"));
    expect(disk.message).toMatch(/^Machine 999 was not found/);
    const task = await failureOf(
      client.listFiles({ location: "machine", machineId: SEED.runningMachineId, taskId: 999 }),
    );
    expect(task.message).toMatch(/^Task 999 was not found on machine 100/);
    const folder = await failureOf(client.listFiles({ location: "shared", parentId: 123_456 }));
    expect(folder.message).toMatch(/^Folder 123456 was not found in the shared storage/);
    const file = await failureOf(client.deleteFile(123_456));
    expect(file.message).toMatch(/^File 123456 was not found/);
    const download = await failureOf(client.getDownload(424_242));
    expect(download.message).toMatch(/^Zip job 424242 was not found/);
  });

  it("450: a full storage, and a root folder that can't be deleted", async () => {
    sandbox.setStorageQuota(1024);
    try {
      const full = await failureOf(
        client.createFile({
          fileName: "huge.bin",
          contentType: "application/octet-stream",
          sizeBytes: 5000,
          parentId: 0,
        }),
      );
      expect(full.status).toBe(450);
      expect(full.message).toMatch(
        /"huge.bin" \(4\.9 KB\) is bigger than what is free in the organization's shared storage \(0 bytes free: .* of 1(\.0)? KB used\)/,
      );
    } finally {
      sandbox.setStorageQuota(25 * 1024 ** 3);
    }
    const root = await failureOf(client.deleteFile(SEED.sharedRootId));
    expect(root.status).toBe(450);
    expect(root.message).toMatch(/root folder, and root folders can't be deleted/);
  });

  it("451: a name that is taken", async () => {
    const error = await failureOf(client.createDirectory({ name: "Project Folder", parentId: 0 }));
    expect(error.code).toBe(451);
    expect(error.message).toMatch(/"Project Folder" already exists in the shared root folder/);
  });

  it("452: fewer bytes than declared", async () => {
    const created = await client.createFile({
      fileName: "short.txt",
      contentType: "text/plain",
      sizeBytes: 10,
      parentId: 0,
    });
    const [part] = created.uploadUrls;
    if (!part) throw new Error("expected one upload URL");
    const response = await client.http.request(part.url, { method: "PUT", body: "12345" });
    await response.body.dump();
    const error = await failureOf(
      client.completeUpload(created.id, [{ partNumber: 1, etag: String(response.headers.etag) }]),
    );
    expect(error.code).toBe(452);
    expect(error.message).toMatch(new RegExp(`file ${created.id} don't add up to the size declared`));
  });

  it("4710: zip downloads without the multiple_file_download feature", async () => {
    sandbox.setMultipleFileDownload(false);
    const error = await failureOf(client.startDownload({ fileIds: [SEED.briefFileId, SEED.dataCsvFileId] }));
    expect(error.clientCode).toBe(4710);
    expect(error.message).toMatch(/"multiple file download" feature, which is not enabled/);
  });

  it("4716: cancelling a job twice", async () => {
    sandbox.setFaults(null);
    const slowSandbox = await startSandbox({ zipJob: { pendingMs: 10_000, processingMs: 10_000 } });
    try {
      const slowClient = createVagonClient({
        apiUrl: slowSandbox.apiUrl,
        apiKey: slowSandbox.apiKey,
        apiSecret: slowSandbox.apiSecret,
      });
      extraClients.push(slowClient);
      const started = await slowClient.startDownload({ directoryId: SEED.projectFolderId });
      if (started.kind !== "job") throw new Error("expected a zip job");
      await slowClient.abortDownload(started.downloadId);
      expect((await slowClient.getDownload(started.downloadId)).status).toBe("cancelled");
      const error = await failureOf(slowClient.abortDownload(started.downloadId));
      expect(error.clientCode).toBe(4716);
      expect(error.message).toMatch(
        new RegExp(`^Zip job ${started.downloadId} can't be cancelled because it has already finished`),
      );
    } finally {
      await slowSandbox.close();
    }
  });

  it("4717, 4718, 4719: nothing (or not everything) to download", async () => {
    const folderAsFile = await failureOf(client.startDownload({ fileIds: [SEED.projectFolderId] }));
    expect(folderAsFile.clientCode).toBe(4717);
    expect(folderAsFile.message).toMatch(/couldn't find file 18088 to download/);
    const missing = await failureOf(client.startDownload({ fileIds: [SEED.sharedTextFileId, 999_999] }));
    expect(missing.clientCode).toBe(4718);
    expect(missing.message).toMatch(/Some of files 18094, 999999 were not found/);
    const emptyFolderId = sandbox.addDirectory({ parentId: 0, name: "Empty For Zip" });
    const empty = await failureOf(client.startDownload({ directoryId: emptyFolderId }));
    expect(empty.clientCode).toBe(4719);
    expect(empty.message).toMatch(new RegExp(`^Folder ${emptyFolderId} is empty`));
  });

  it("4722: a download request naming nothing", async () => {
    const error = await failureOf(client.startDownload({ fileIds: [] }));
    expect(error.clientCode).toBe(4722);
    expect(error.message).toMatch(/exactly one of/);
    // More than one is refused before anything is sent.
    const both = await failureOf(client.startDownload({ fileIds: [1], directoryId: 2 } as never));
    expect(both.kind).toBe("invalid-input");
    expect(both.message).toMatch(/exactly one of/);
  });

  it("bad arguments are refused before anything is sent", async () => {
    const noMachine = await failureOf(client.listFiles({ location: "machine" }));
    expect(noMachine.kind).toBe("invalid-input");
    expect(noMachine.message).toMatch(/machine_id must be a positive whole number/);
    const badId = await failureOf(client.deleteFile(1.5));
    expect(badId.kind).toBe("invalid-input");
    expect(sandbox.requests).toHaveLength(0);
  });
});

describe("request details", () => {
  it.each([
    ["C:/Users", "C:\\Users"],
    ["C:\\Users\\", "C:\\Users"],
    ["C:\\\\Users\\\\Public", "C:\\Users\\Public"],
    [" D:/data/logs/ ", "D:\\data\\logs"],
    ["C:", "C:\\"],
    ["C:/", "C:\\"],
    ["\\\\server\\share", "\\\\server\\share"],
  ])("normalizes the Windows path %j to %j", (input, expected) => {
    expect(toWindowsPath(input)).toBe(expected);
  });

  it("reads Retry-After as seconds or as a date", () => {
    expect(parseRetryAfterMs("3")).toBe(3000);
    expect(parseRetryAfterMs("0.5")).toBe(500);
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfterMs("soon")).toBeNull();
    expect(parseRetryAfterMs(undefined)).toBeNull();
  });

  it("backs off exponentially with full jitter under a cap", () => {
    expect(backoffDelayMs(1, 250, 8000, () => 0.999)).toBe(249);
    expect(backoffDelayMs(3, 250, 8000, () => 0.5)).toBe(500);
    expect(backoffDelayMs(10, 250, 8000, () => 0.999)).toBe(7992);
    expect(backoffDelayMs(2, 250, 8000, () => 0)).toBe(0);
  });

  it("refuses an API URL that isn't http(s)", () => {
    expect(() => createVagonClient({ apiUrl: "ftp://x/y", apiKey: "k", apiSecret: "s" })).toThrow(
      /https:\/\//,
    );
    expect(() => createVagonClient({ apiUrl: "not a url", apiKey: "k", apiSecret: "s" })).toThrow(
      /VAGON_API_URL/,
    );
  });
});

describe("the connection pool", () => {
  it("refuses requests once closed, even one that was waiting for undici to load", async () => {
    const { createHttpPool } = await import("../../src/vagon/http.js");
    const pool = createHttpPool({});
    const early = pool.request("http://127.0.0.1:9/never");
    await pool.close();
    await expect(early).rejects.toThrow(/closed/);
    await expect(pool.request("http://127.0.0.1:9/never")).rejects.toThrow(/closed/);
  });
});
