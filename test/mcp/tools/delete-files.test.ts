// "Delete all session recordings older than 30 days": delete_files previews, then deletes
// exactly the previewed set — or nothing, when the set changed, the user declined, or the plan
// came from nowhere. Each story gets a fresh sandbox: they delete things.
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../../src/sandbox/index.js";
import type { VagonClient } from "../../../src/vagon/types.js";
import { type Harness, type HarnessOptions, startHarness, toolText } from "../../helpers/harness.js";
import { withRecords } from "../../helpers/tables.js";

interface Preview {
  status: "preview" | "changed";
  plan_id?: string;
  count: number;
  bytes: number;
  items: Array<{ id: number; name: string; kind: string; path: string; size?: number }>;
  expires_at?: string;
}
interface Report {
  status: "deleted" | "declined";
  deleted: number;
  already_gone: number;
  failed: Array<{ id: number; name: string; message: string }>;
  bytes_freed: number;
}

const OLD_RECORDINGS = { location: "recordings", kind: "directory", max_depth: 0, modified_before: "30d" };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Not useHarness: every story deletes, so each gets a fresh sandbox, and some their own options.
async function world(options: HarnessOptions = {}): Promise<{ sandbox: Sandbox; harness: Harness }> {
  const sandbox = await startSandbox();
  const harness = await startHarness({ sandbox, ...options });
  cleanups.push(() => sandbox.close());
  cleanups.push(() => harness.close({ keepSandbox: true }));
  return { sandbox, harness };
}

async function call<T>(harness: Harness, args: Record<string, unknown>): Promise<{ out: T; text: string }> {
  const result = await harness.callTool("delete_files", args);
  expect(result.isError, toolText(result)).toBeFalsy();
  return { out: withRecords<T>(result.structuredContent), text: toolText(result) };
}

const deletes = (sandbox: Sandbox) => sandbox.requests.filter((request) => request.route === "delete");
const deletedIds = (sandbox: Sandbox) =>
  deletes(sandbox)
    .filter((request) => request.status === 200)
    .map((request) => Number(request.path.split("/").at(-1)));

describe("delete_files", () => {
  it("finds and deletes the recordings older than 30 days in two calls, keeping the recent ones", async () => {
    const { sandbox, harness } = await world();
    const recordingsRoot = sandbox.recordingsRootId();
    const { out: preview, text } = await call<Preview>(harness, OLD_RECORDINGS);
    expect(preview.status).toBe("preview");
    expect(preview.items.map((item) => item.id)).toEqual(
      expect.arrayContaining([...SEED.oldSessionFolderIds]),
    );
    expect(text).toMatch(/Would delete \d+ items, .* under Session Recordings/);
    expect(text).toContain(`confirm="${preview.plan_id}"`);

    const updates: Array<{ progress: number; message?: string }> = [];
    const result = await harness.mcp.callTool(
      { name: "delete_files", arguments: { ...OLD_RECORDINGS, confirm: preview.plan_id } },
      undefined,
      { onprogress: (update) => updates.push(update), timeout: 30_000 },
    );
    const report = result.structuredContent as unknown as Report;
    expect(report).toMatchObject({ status: "deleted", deleted: preview.count, already_gone: 0, failed: [] });
    // Scanning, then deleting: one progress stream that only grows.
    expect(updates.some((update) => /^deleting \d+\/\d+ items$/.test(update.message ?? ""))).toBe(true);
    for (let index = 1; index < updates.length; index++) {
      expect(updates[index]?.progress).toBeGreaterThan(updates[index - 1]?.progress ?? 0);
    }
    expect(report.bytes_freed).toBe(preview.bytes);
    const left = sandbox.children(recordingsRoot).map((entry) => entry.id);
    expect(left.sort()).toEqual([...SEED.recentSessionFolderIds].sort());
  });

  it("previews without deleting anything, folders listed with the bytes inside, contents not twice", async () => {
    const { sandbox, harness } = await world();
    sandbox.clearRequests();
    // No kind: the old session folders match, and so do the files inside them.
    const { out: preview } = await call<Preview>(harness, { location: "recordings", modified_before: "30d" });
    expect(deletes(sandbox)).toEqual([]);
    expect(preview.items.every((item) => item.kind === "directory")).toBe(true);
    const [oldest] = SEED.oldSessionFolderIds.slice(-1);
    const inside = sandbox.children(oldest ?? 0).reduce((sum, entry) => sum + entry.sizeBytes, 0);
    expect(preview.items.find((item) => item.id === oldest)?.size).toBe(inside);
    expect(preview.bytes).toBe(preview.items.reduce((sum, item) => sum + (item.size ?? 0), 0));
    expect(Date.parse(preview.expires_at ?? "") - Date.now()).toBeGreaterThan(14 * 60_000);
  });

  it("deletes exactly the previewed set", async () => {
    const { sandbox, harness } = await world();
    const { out: preview } = await call<Preview>(harness, {
      name: "frame-*.exr",
      parent_id: SEED.rendersFolderId,
    });
    expect(preview.count).toBe(12);
    sandbox.clearRequests();
    await call<Report>(harness, {
      name: "frame-*.exr",
      parent_id: SEED.rendersFolderId,
      confirm: preview.plan_id,
    });
    expect(deletedIds(sandbox).sort()).toEqual(preview.items.map((item) => item.id).sort());
    expect(deletes(sandbox)).toHaveLength(12);
  });

  it("deletes nothing when the set changed after the preview, and answers the new one", async () => {
    const { sandbox, harness } = await world();
    const { out: preview } = await call<Preview>(harness, OLD_RECORDINGS);
    // A file lands in one of the old sessions: deleting the folder now would take it too.
    await sandbox.addFile({
      parentId: SEED.oldSessionFolderIds[0],
      name: "late-upload.log",
      content: "late\n",
    });
    sandbox.clearRequests();
    const { out: changed, text } = await call<Preview>(harness, {
      ...OLD_RECORDINGS,
      confirm: preview.plan_id,
    });
    expect(changed.status).toBe("changed");
    expect(changed.plan_id).not.toBe(preview.plan_id);
    expect(changed.bytes).toBe(preview.bytes + 5);
    expect(deletes(sandbox)).toEqual([]);
    expect(text).toMatch(/changed since the preview.*nothing was deleted/);
    // Confirming the new plan works.
    const { out: report } = await call<Report>(harness, { ...OLD_RECORDINGS, confirm: changed.plan_id });
    expect(report.deleted).toBe(changed.count);
  });

  it("deletes nothing with a plan for other inputs, or a plan_id that was made up", async () => {
    const { sandbox, harness } = await world();
    const { out: preview } = await call<Preview>(harness, OLD_RECORDINGS);
    sandbox.clearRequests();
    const { out: other } = await call<Preview>(harness, {
      ...OLD_RECORDINGS,
      modified_before: "60d",
      confirm: preview.plan_id,
    });
    expect(other.status).toBe("changed");
    const forged = `${preview.plan_id?.split(".")[0]}.${"A".repeat(43)}`;
    expect((await call<Preview>(harness, { ...OLD_RECORDINGS, confirm: forged })).out.status).toBe("changed");
    const garbage = await harness.callTool("delete_files", { ...OLD_RECORDINGS, confirm: "yes please" });
    expect(garbage.isError).toBe(true);
    expect(deletes(sandbox)).toEqual([]);
  });

  it("asks the user naming count, size and a few names; a decline deletes nothing", async () => {
    const { sandbox, harness } = await world({ capabilities: { elicitation: {} } });
    const questions: string[] = [];
    let answer: "decline" | "accept" = "decline";
    harness.mcp.setRequestHandler(ElicitRequestSchema, async (request) => {
      questions.push(request.params.message);
      return answer === "accept" ? { action: "accept", content: { confirm: true } } : { action: "decline" };
    });
    const { out: preview } = await call<Preview>(harness, OLD_RECORDINGS);
    expect(questions).toEqual([]);
    sandbox.clearRequests();
    const { out: declined, text } = await call<Report>(harness, {
      ...OLD_RECORDINGS,
      confirm: preview.plan_id,
    });
    expect(declined).toMatchObject({ status: "declined", deleted: 0 });
    expect(text).toMatch(/declined/);
    expect(deletes(sandbox)).toEqual([]);
    expect(questions[0]).toMatch(
      new RegExp(`^Delete ${preview.count} items \\(\\d+(\\.\\d)? GB\\) .*Session_1950/`),
    );

    answer = "accept";
    const { out: accepted } = await call<Report>(harness, { ...OLD_RECORDINGS, confirm: preview.plan_id });
    expect(accepted.deleted).toBe(preview.count);
  });

  it("checks the set again after the user's answer: a file saved while the question was open deletes nothing", async () => {
    const { sandbox, harness } = await world({ capabilities: { elicitation: {} } });
    const { out: preview } = await call<Preview>(harness, OLD_RECORDINGS);
    const target = preview.items[0]!;
    let savedMeanwhile = 0;
    harness.mcp.setRequestHandler(ElicitRequestSchema, async () => {
      // The user reads the question; meanwhile a recording lands in one of the folders it names.
      savedMeanwhile = await sandbox.addFile({
        parentId: target.id,
        name: "saved-while-asking.mp4",
        content: "new footage",
      });
      return { action: "accept", content: { confirm: true } };
    });
    sandbox.clearRequests();
    const { out, text } = await call<Preview>(harness, { ...OLD_RECORDINGS, confirm: preview.plan_id });
    expect(out.status).toBe("changed");
    expect(text).toMatch(/changed while you were asked; nothing was deleted/);
    expect(deletes(sandbox)).toEqual([]);
    expect(sandbox.getEntry(savedMeanwhile)?.deleted).toBe(false);
  });

  it("counts what lies deeper than the walk as unknown, never as zero", async () => {
    const { sandbox, harness } = await world();
    // One byte at the top, 5 MB 70 folder levels down: below the 64 levels a delete walks.
    const topId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: "deep" });
    await sandbox.addFile({ parentId: topId, name: "small.txt", content: "x" });
    let folderId = topId;
    for (let level = 1; level <= 70; level++)
      folderId = sandbox.addDirectory({ parentId: folderId, name: `level-${level}` });
    await sandbox.addFile({ parentId: folderId, name: "big.bin", content: Buffer.alloc(5 * 1024 * 1024) });

    const { out, text } = await call<Preview & { uncounted?: number }>(harness, { file_ids: [topId] });
    expect(out).toMatchObject({ status: "preview", count: 1, bytes: 1, uncounted: 1 });
    expect(out.items[0]?.size).toBeNull();
    expect(text).toMatch(
      /Would delete 1 item, 1 byte plus an unknown size deeper than 64 levels in 1 folder/,
    );
    expect(text).toMatch(/^\d+ [^ ]+ \(size unknown: deeper than the walk\) \/deep\/$/m);
  });

  it("confirms on another server instance a plan made by the first (stateless plan_id)", async () => {
    const { sandbox, harness } = await world();
    const { out: preview } = await call<Preview>(harness, OLD_RECORDINGS);
    const replica = await startHarness({ sandbox });
    cleanups.push(() => replica.close({ keepSandbox: true }));
    const { out: report } = await call<Report>(replica, { ...OLD_RECORDINGS, confirm: preview.plan_id });
    expect(report.deleted).toBe(preview.count);
  });

  it("stops before the next delete when the call is cancelled", async () => {
    // The seam: every delete waits until the test lets it through, so what was sent is known.
    const started: number[] = [];
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let allStarted: () => void = () => {};
    const fourStarted = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    const wrapClient = (client: VagonClient): VagonClient =>
      Object.assign(Object.create(client) as VagonClient, {
        deleteFile: async (id: number) => {
          started.push(id);
          if (started.length === 4) allStarted();
          await released;
          return client.deleteFile(id);
        },
      });
    const { sandbox, harness } = await world({ wrapClient });
    const folderId = sandbox.addDirectory({ parentId: 0, name: "Scratch" });
    for (let index = 0; index < 10; index++) {
      await sandbox.addFile({ parentId: folderId, name: `tmp-${index}.tmp`, content: "x" });
    }
    const args = { parent_id: folderId, name: "*.tmp" };
    const { out: preview } = await call<Preview>(harness, args);
    const controller = new AbortController();
    const cancelled = harness.mcp
      .callTool({ name: "delete_files", arguments: { ...args, confirm: preview.plan_id } }, undefined, {
        signal: controller.signal,
      })
      .catch((error: unknown) => error);
    await fourStarted;
    controller.abort();
    expect(await cancelled).toBeInstanceOf(Error);
    // The server sees the cancellation, then lets the four deletes already sent finish.
    await waitFor(() => harness.logs.some((record) => record.message === "delete_files finished"), release);
    const finished = harness.logs.find((record) => record.message === "delete_files finished");
    expect(finished?.fields).toMatchObject({ deleted: 4, not_started: 6 });
    expect(started).toHaveLength(4);
    expect(sandbox.children(folderId)).toHaveLength(6);
  });

  it("ends every item deleted, already gone or failed — none twice — with 20% of DELETEs failing", async () => {
    const { sandbox, harness } = await world({ clientOptions: { retryBaseDelayMs: 1, maxRetryDelayMs: 4 } });
    const folderId = sandbox.addDirectory({ parentId: 0, name: "Flaky" });
    for (let index = 0; index < 40; index++) {
      await sandbox.addFile({ parentId: folderId, name: `old-${index}.tmp`, content: `item ${index}` });
    }
    const args = { parent_id: folderId, name: "*.tmp" };
    const { out: preview } = await call<Preview>(harness, args);
    sandbox.clearRequests();
    sandbox.setFaults({ seed: 5, routes: { delete: { error5xx: 0.2 } } });
    const { out: report } = await call<Report>(harness, { ...args, confirm: preview.plan_id });
    sandbox.setFaults(null);
    expect(deletes(sandbox).some((request) => request.fault === "error5xx")).toBe(true);
    expect(report.deleted + report.already_gone + report.failed.length).toBe(40);
    const successes = deletedIds(sandbox);
    expect(new Set(successes).size).toBe(successes.length);
    const failedIds = new Set(report.failed.map((failure) => failure.id));
    for (const id of successes) expect(failedIds.has(id)).toBe(false);
    // Whatever failed is still there; everything else is gone.
    expect(
      sandbox
        .children(folderId)
        .map((entry) => entry.id)
        .sort(),
    ).toEqual([...failedIds].sort());
  });

  it("refuses a filter without a criterion, and never puts a root folder in a set", async () => {
    const { sandbox, harness } = await world();
    sandbox.clearRequests();
    const refused = await harness.callTool("delete_files", { location: "recordings" });
    expect(refused.isError).toBe(true);
    expect(toolText(refused)).toMatch(/at least one of name, kind, modified_before/);
    expect(sandbox.requests).toEqual([]);
    const { out: root, text } = await call<Preview>(harness, { file_ids: [SEED.sharedRootId] });
    expect(root.count).toBe(0);
    expect(text).toContain(String(SEED.sharedRootId));
    expect(root.plan_id).toBeUndefined();
  });
});

/** Calls `step` once, then waits (on the event loop, not a timer race) until `done` holds. */
async function waitFor(done: () => boolean, step: () => void): Promise<void> {
  step();
  for (let turn = 0; turn < 1_000 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}

describe("delete_files confirm without the preview's inputs", () => {
  it("says to send them again with it, and deletes nothing", async () => {
    const { sandbox, harness } = await world();
    const { out: preview } = await call<Preview>(harness, OLD_RECORDINGS);
    const result = await harness.callTool("delete_files", { confirm: preview.plan_id });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/confirm goes with the same inputs as the preview.*Nothing was deleted/);
    expect(deletes(sandbox)).toHaveLength(0);
  });
});
