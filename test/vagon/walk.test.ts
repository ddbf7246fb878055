// The one tree walker: every entry of a generated organization exactly once, with its depth and
// path; never more requests in flight than its bound; a scan budget that ends with
// complete: false; cancellation that stops it. Real client, real sandbox.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heapFlags } from "../../src/heap-growth.js";
import { type Sandbox, type SandboxEntry, startSandbox } from "../../src/sandbox/index.js";
import { createVagonClient } from "../../src/vagon/client.js";
import type { VagonClient } from "../../src/vagon/types.js";
import { type WalkedEntry, walkTree } from "../../src/vagon/walk.js";

let sandbox: Sandbox;
let client: VagonClient;
let org: { folderId: number; files: number; folders: number };

beforeAll(async () => {
  sandbox = await startSandbox();
  client = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
  });
  org = sandbox.generateOrganization({ entries: 3_000, folders: 150, seed: 11 });
});

afterAll(async () => {
  await client?.close();
  await sandbox?.close();
});

function treeOf(folderId: number, depth = 0): Array<SandboxEntry & { depth: number }> {
  return sandbox
    .children(folderId)
    .flatMap((child) => [
      { ...child, depth },
      ...(child.kind === "directory" ? treeOf(child.id, depth + 1) : []),
    ]);
}

describe("walkTree", () => {
  it("visits every entry of a 3,000-entry tree once, with its depth, parent and path", async () => {
    const seen: WalkedEntry[] = [];
    const result = await walkTree(client, {
      location: "shared",
      parentId: org.folderId,
      maxDepth: 20,
      visit: (entries) => seen.push(...entries),
    });
    const truth = treeOf(org.folderId);
    expect(seen).toHaveLength(3_000);
    expect(new Set(seen.map((entry) => entry.id)).size).toBe(3_000);
    const truthById = new Map(truth.map((entry) => [entry.id, entry]));
    for (const entry of seen) {
      expect(entry.depth).toBe(truthById.get(entry.id)?.depth);
      expect(entry.parentId).toBe(truthById.get(entry.id)?.parentId);
    }
    expect(seen[0]?.path.startsWith(`/Generated 3000/`)).toBe(true);
    expect(result).toMatchObject({ complete: true, scannedEntries: 3_000, scannedFolders: 151 });
  });

  it("keeps at most `concurrency` listings in flight and uses pages of 100", async () => {
    let inFlight = 0;
    let peak = 0;
    const perPages = new Set<number | undefined>();
    const counting: VagonClient = Object.assign(Object.create(client) as VagonClient, {
      listFiles: async (...args: Parameters<VagonClient["listFiles"]>) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        perPages.add(args[0].perPage);
        try {
          return await client.listFiles(...args);
        } finally {
          inFlight -= 1;
        }
      },
    });
    await walkTree(counting, {
      location: "shared",
      parentId: org.folderId,
      maxDepth: 20,
      concurrency: 3,
      visit: () => {},
    });
    expect(peak).toBe(3);
    expect([...perPages]).toEqual([100]);
  });

  it("stops at the scan budget and says the walk is incomplete", async () => {
    let visited = 0;
    const result = await walkTree(client, {
      location: "shared",
      parentId: org.folderId,
      maxDepth: 20,
      scanBudget: 1_000,
      visit: (entries) => {
        visited += entries.length;
      },
    });
    expect(result.complete).toBe(false);
    expect(result.scannedEntries).toBe(1_000);
    expect(visited).toBe(1_000);
  });

  it("follows max_depth: 0 lists only the start folder", async () => {
    const result = await walkTree(client, {
      location: "shared",
      parentId: org.folderId,
      maxDepth: 0,
      visit: () => {},
    });
    expect(result.scannedFolders).toBe(1);
    expect(result.scannedEntries).toBe(sandbox.children(org.folderId).length);
    expect(result.complete).toBe(true);
  });

  it("caps the heap's growth while any walk runs, and lifts it when the last one ends, even failed", async () => {
    const flags: string[] = [];
    const setFlags = heapFlags.set;
    heapFlags.set = (value) => flags.push(value);
    try {
      const whileVisiting: string[][] = [];
      const walk = () =>
        walkTree(client, {
          location: "shared",
          parentId: org.folderId,
          maxDepth: 1,
          visit: () => {
            whileVisiting.push([...flags]);
          },
        });
      await Promise.all([walk(), walk()]);
      expect(flags).toEqual(["--heap-growing-percent=50", "--heap-growing-percent=0"]);
      expect(whileVisiting.length).toBeGreaterThan(2);
      for (const seen of whileVisiting) expect(seen).toEqual(["--heap-growing-percent=50"]);
      flags.length = 0;
      await expect(
        walkTree(client, { location: "shared", parentId: 999_999_999, maxDepth: 1, visit: () => {} }),
      ).rejects.toThrow();
      expect(flags).toEqual(["--heap-growing-percent=50", "--heap-growing-percent=0"]);
    } finally {
      heapFlags.set = setFlags;
    }
  });

  it("lets no listing outlive the call: a failed listing waits for the pages still in flight", async () => {
    const events: string[] = [];
    let calls = 0;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const failing: VagonClient = Object.assign(Object.create(client) as VagonClient, {
      listFiles: async (...args: Parameters<VagonClient["listFiles"]>) => {
        calls += 1;
        if (calls === 2) {
          await held;
          const page = await client.listFiles(...args);
          events.push("held page landed");
          return page;
        }
        // Released only after every microtask of the failure has run: a walk that didn't wait
        // for its flights would have settled by then.
        if (calls === 3) {
          setImmediate(release);
          throw new Error("listing failed");
        }
        return client.listFiles(...args);
      },
    });
    const walking = walkTree(failing, {
      location: "shared",
      parentId: org.folderId,
      maxDepth: 20,
      concurrency: 4,
      visit: () => {},
    }).finally(() => events.push("walk settled"));
    await expect(walking).rejects.toThrow("listing failed");
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(events).toEqual(["held page landed", "walk settled"]);
  });

  it("stops when cancelled and sends nothing more", async () => {
    const controller = new AbortController();
    let pages = 0;
    // Counts the listings asked for once cancelled that could still be sent (the client sends
    // nothing for an aborted signal), instead of watching the sandbox for a moment: a page already
    // on its way when the walk stopped may reach it later, legitimately.
    let sendableAfterAbort = 0;
    const asked: Promise<unknown>[] = [];
    const counting: VagonClient = Object.assign(Object.create(client) as VagonClient, {
      listFiles: (...args: Parameters<VagonClient["listFiles"]>) => {
        if (controller.signal.aborted && !args[1]?.signal?.aborted) sendableAfterAbort += 1;
        const page = client.listFiles(...args);
        asked.push(page.catch(() => {}));
        return page;
      },
    });
    const walking = walkTree(counting, {
      location: "shared",
      parentId: org.folderId,
      maxDepth: 20,
      signal: controller.signal,
      visit: () => {
        pages += 1;
        if (pages === 3) controller.abort();
      },
    });
    await expect(walking).rejects.toMatchObject({ name: "AbortError" });
    // Every listing it had started settles (the aborted ones at once), and none came after.
    await Promise.all(asked);
    expect(sendableAfterAbort).toBe(0);
    expect(asked.length).toBeGreaterThanOrEqual(3);
  });
});
