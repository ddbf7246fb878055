import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { call, names } from "./sandbox-client.js";

describe("sandbox listings", () => {
  // A fresh seed per test: some add folders to the shared root, whose exact listing another checks.
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await startSandbox();
  });
  afterEach(() => sandbox.close());

  it("lists the shared root in the current (jsonapi) shape, root as `current` with its quota", async () => {
    const { status, json } = await call(sandbox, "GET", "/files");
    expect(status).toBe(200);
    expect(names(json)).toEqual(["Project Folder", "Renders", "logo.png", "welcome.txt"]);
    expect(json.count).toBe(4);
    expect(json.next_page).toBeNull();
    expect(json.current).toMatchObject({
      id: String(SEED.sharedRootId),
      type: "file",
      attributes: { name: "Teams Shared Folder", object_type: "root", file_storage_size: 26843545600 },
    });
    expect(json.current.attributes.file_storage_usage).toBeGreaterThan(0);
    const folder = json.files[0];
    expect(folder).toMatchObject({
      id: String(SEED.projectFolderId),
      type: "file",
      attributes: {
        size: 0,
        content_type: "directory",
        object_type: "directory",
        path: "/Project Folder",
        parent_id: SEED.sharedRootId,
      },
    });
    const welcome = json.files.find((file: { id: string }) => file.id === String(SEED.sharedTextFileId));
    expect(welcome.attributes).toMatchObject({
      content_type: "text/plain",
      status: "upload_completed",
      machine_id: null,
    });
    expect(json).toMatchObject({ client_code: 200, message: "OK" });
    expect(json.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("answers in the older flat shape when switched at runtime", async () => {
    sandbox.shape = "flat";
    try {
      const { json } = await call(sandbox, "GET", "/files", { query: { parent_id: SEED.projectFolderId } });
      const [nested, brief] = json.files;
      expect(nested).toMatchObject({
        id: SEED.nestedFolderId,
        name: "references",
        size: null,
        content_type: null,
        object_type: "directory",
      });
      expect(typeof nested.uid).toBe("string");
      expect(brief).toMatchObject({
        id: SEED.briefFileId,
        name: "brief.md",
        content_type: "text/markdown",
        path: "Project Folder/brief.md",
      });
      expect(json.current).toMatchObject({ id: SEED.projectFolderId, name: "Project Folder", parent_id: 0 });
      const root = await call(sandbox, "GET", "/files");
      expect(root.json.current).toMatchObject({ id: 0, name: "Teams Shared Folder" });
      expect(root.json.files[0].parent_id).toBe(0);
    } finally {
      sandbox.shape = "jsonapi";
    }
  });

  it("pages with page/per_page, clamps per_page to 100 and searches names with q", async () => {
    const parentId = sandbox.addDirectory({ parentId: 0, name: "Many" });
    for (let index = 0; index < 130; index++) {
      await sandbox.addFile({ parentId, name: `file-${String(index).padStart(3, "0")}.txt`, content: "x" });
    }
    const first = await call(sandbox, "GET", "/files", { query: { parent_id: parentId } });
    expect(first.json.files).toHaveLength(20);
    expect(first.json).toMatchObject({ count: 130, page: 1, next_page: 2 });
    const last = await call(sandbox, "GET", "/files", {
      query: { parent_id: parentId, page: 7, per_page: 20 },
    });
    expect(names(last.json)).toEqual([
      "file-120.txt",
      "file-121.txt",
      "file-122.txt",
      "file-123.txt",
      "file-124.txt",
      "file-125.txt",
      "file-126.txt",
      "file-127.txt",
      "file-128.txt",
      "file-129.txt",
    ]);
    expect(last.json.next_page).toBeNull();
    const clamped = await call(sandbox, "GET", "/files", { query: { parent_id: parentId, per_page: 500 } });
    expect(clamped.json.files).toHaveLength(100);
    expect(clamped.json.next_page).toBe(2);
    const search = await call(sandbox, "GET", "/files", { query: { parent_id: parentId, q: "FILE-12" } });
    expect(search.json.count).toBe(10);
    const bad = await call(sandbox, "GET", "/files", { query: { page: 0 } });
    expect(bad.status).toBe(400);
  });

  it("answers 404 for an unknown parent, or a parent of another storage", async () => {
    expect((await call(sandbox, "GET", "/files", { query: { parent_id: 999_999 } })).status).toBe(404);
    const otherStorage = await call(sandbox, "GET", "/files", {
      query: { parent_id: SEED.machineProjectFolderId },
    });
    expect(otherStorage.status).toBe(404);
    expect(otherStorage.json.client_code).toBe(404);
  });

  it("lists a machine's storage, running or stopped, and 404s an unknown machine", async () => {
    const running = await call(sandbox, "GET", `/machines/${SEED.runningMachineId}/files`);
    expect(names(running.json)).toEqual(["Machine Project Folder", "Task 42 Output", "image.png"]);
    expect(running.json.current.attributes).toMatchObject({
      name: "Computer #100",
      machine_id: 100,
      object_type: "root",
    });
    expect(running.json.files[0].attributes.user).toMatchObject({
      type: "user",
      attributes: { name: "Computer User" },
    });
    const stopped = await call(sandbox, "GET", `/machines/${SEED.stoppedMachineId}/files`);
    expect(stopped.status).toBe(200);
    expect(stopped.json.current.id).toBe(String(SEED.stoppedMachineRootId));
    expect((await call(sandbox, "GET", "/machines/999/files")).status).toBe(404);
  });

  it("filters a machine listing by task: the output folder and the linked recordings only", async () => {
    const { json } = await call(sandbox, "GET", `/machines/${SEED.runningMachineId}/files`, {
      query: { task_id: SEED.taskId },
    });
    expect(names(json)).toEqual(["Session_1950", "Task 42 Output"]);
    expect(json.count).toBe(2);
    const session = await call(sandbox, "GET", `/machines/${SEED.runningMachineId}/files`, {
      query: { task_id: SEED.taskId, parent_id: SEED.sessionFolderId },
    });
    expect(names(session.json)).toEqual(["rec-20260121-214832.log", "rec-20260121-214832.mp4"]);
    const wrongMachine = await call(sandbox, "GET", `/machines/${SEED.stoppedMachineId}/files`, {
      query: { task_id: SEED.taskId },
    });
    expect(wrongMachine.status).toBe(404);
    expect(wrongMachine.json.message).toMatch(/Task 42/);
  });

  it("lists session recordings, optionally for one machine", async () => {
    const all = await call(sandbox, "GET", "/files/recordings");
    expect(names(all.json)).toEqual([
      "Session_1950",
      "Session_1962",
      "Session_1987",
      "Session_2003",
      "Session_2012",
      "Session_2031",
      "Session_2064",
      "Session_2088",
      "Session_2101",
    ]);
    expect(all.json.current.id).toBe(String(SEED.recordingsRootId));
    const stopped = await call(sandbox, "GET", "/files/recordings", {
      query: { machine_id: SEED.stoppedMachineId },
    });
    expect(names(stopped.json)).toEqual(["Session_1987"]);
    const inside = await call(sandbox, "GET", "/files/recordings", {
      query: { parent_id: SEED.sessionFolderId },
    });
    expect(inside.json.files[1].attributes).toMatchObject({
      content_type: "video/mp4",
      path: "/Session_1950/rec-20260121-214832.mp4",
    });
  });

  it("lists the live disk of a running machine, in both shapes", async () => {
    const { status, json } = await call(sandbox, "POST", `/machines/${SEED.runningMachineId}/list-content`, {
      body: { path: SEED.liveDiskPath },
    });
    expect(status).toBe(200);
    expect(json.content).toEqual([
      { path: "C:\\Users\\Administrator", name: "Administrator", is_directory: true },
      { path: "C:\\Users\\Public", name: "Public", is_directory: true },
    ]);
    sandbox.shape = "flat";
    try {
      const flat = await call(sandbox, "POST", `/machines/${SEED.runningMachineId}/list-content`, {
        body: { path: "C:\\Users\\Administrator\\Documents" },
      });
      expect(flat.json.content).toContainEqual({
        name: "notes.txt",
        type: "file",
        path: "C:\\Users\\Administrator\\Documents\\notes.txt",
        size: 1024,
      });
    } finally {
      sandbox.shape = "jsonapi";
    }
  });

  it("refuses the live disk of a stopped machine with 400, and unknown paths with 404", async () => {
    const stopped = await call(sandbox, "POST", `/machines/${SEED.stoppedMachineId}/list-content`, {
      body: { path: "C:\\Users" },
    });
    expect(stopped.status).toBe(400);
    expect(stopped.json.message).toMatch(/machine is not running/);
    const unknown = await call(sandbox, "POST", `/machines/${SEED.runningMachineId}/list-content`, {
      body: { path: "C:\\Nope" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toMatch(/C:\\Nope/);
    sandbox.setMachineRunning(SEED.stoppedMachineId, true);
    try {
      const started = await call(sandbox, "POST", `/machines/${SEED.stoppedMachineId}/list-content`, {
        body: { path: "C:\\" },
      });
      expect(started.status).toBe(200);
      expect(started.json.content.map((item: { name: string }) => item.name)).toEqual(["Archive", "Users"]);
    } finally {
      sandbox.setMachineRunning(SEED.stoppedMachineId, false);
    }
  });

  it("arranges 5,000 entries quickly and lists their folder fast", async () => {
    const parentId = sandbox.addDirectory({ parentId: 0, name: "Bulk" });
    const startedAt = performance.now();
    for (let index = 0; index < 2_500; index++) sandbox.addDirectory({ parentId, name: `dir-${index}` });
    for (let index = 0; index < 2_500; index++)
      await sandbox.addFile({ parentId, name: `f-${index}.txt`, content: "" });
    // ~200 ms here; the bounds catch a quadratic step, not a busy machine.
    expect(performance.now() - startedAt).toBeLessThan(3_000);
    expect(sandbox.children(parentId)).toHaveLength(5_000);
    const listStartedAt = performance.now();
    const { json } = await call(sandbox, "GET", "/files", {
      query: { parent_id: parentId, page: 50, per_page: 100 },
    });
    expect(performance.now() - listStartedAt).toBeLessThan(1_500);
    expect(json.count).toBe(5_000);
    expect(json.files).toHaveLength(100);
  });
});
