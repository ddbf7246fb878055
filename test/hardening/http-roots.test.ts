// Over HTTP the client is not the server's user and does not share its disk, so its MCP roots can
// only narrow the configured ones. A real Streamable HTTP client that declares `roots` and answers
// roots/list with file:/// must not reach /etc/passwd nor save outside the configured root; with
// no configured root the HTTP server has no local-disk features at all. Over stdio (the host and
// the server are one user on one disk) client roots are still added. And the one containment
// helper treats "root/..cache" as inside, as it is.
import * as fs from "node:fs/promises";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";
import { toolText, useHarness } from "../helpers/harness.js";
import { type HttpHarness, openHttpSession, startHttpHarness } from "../helpers/http-sessions.js";

// The HTTP servers below run on this sandbox through helpers/http-sessions.ts.
const { sandbox } = useHarness({ sandboxOptions: { zipJob: { pendingMs: 60_000, processingMs: 60_000 } } });

beforeEach(() => {
  sandbox.clearRequests();
});

function offeringRoots(...uris: string[]) {
  return (client: Client) =>
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: uris.map((uri) => ({ uri, name: uri })),
    }));
}

const createdAtVagon = () =>
  sandbox.requests.filter((request) => request.method === "POST" && request.path.endsWith("/files"));

describe("an HTTP client whose roots say file:///", () => {
  let harness: HttpHarness;

  beforeAll(async () => {
    harness = await startHttpHarness(sandbox);
    await fs.writeFile(path.join(harness.root, "inside.txt"), "inside the configured root");
  });

  afterAll(async () => {
    await harness?.close();
  });

  it("can't upload /etc/passwd nor save a download outside the configured root", async () => {
    const session = await openHttpSession(
      harness.server.url,
      { capabilities: { roots: { listChanged: true } } },
      offeringRoots("file:///"),
    );
    try {
      const upload = await session.call("upload_file", { local_path: "/etc/passwd" });
      expect(upload.isError).toBe(true);
      expect(toolText(upload)).toMatch(/outside the folders this server may use/);
      expect(toolText(upload)).not.toContain("root:");
      expect(createdAtVagon()).toEqual([]);

      const download = await session.call("download_files", {
        file_ids: [SEED.sharedTextFileId],
        save_to: harness.outside,
      });
      expect(download.isError).toBe(true);
      expect(toolText(download)).toMatch(/outside the folders this server may use/);
      expect(await fs.readdir(harness.outside)).toEqual([]);

      // The configured root still works for this client.
      const inside = await session.call("upload_file", { local_path: path.join(harness.root, "inside.txt") });
      expect(inside.isError, toolText(inside)).toBeFalsy();
    } finally {
      await session.close();
    }
  });

  it("a client root inside the configured root narrows access to it", async () => {
    await fs.mkdir(path.join(harness.root, "project"), { recursive: true });
    await fs.writeFile(path.join(harness.root, "project", "mine.txt"), "in the client's root");
    const session = await openHttpSession(
      harness.server.url,
      { capabilities: { roots: {} } },
      offeringRoots(`file://${path.join(harness.root, "project")}`),
    );
    try {
      const narrowed = await session.call("upload_file", {
        local_path: path.join(harness.root, "inside.txt"),
      });
      expect(narrowed.isError).toBe(true);
      expect(toolText(narrowed)).toMatch(/outside the folders/);
      const allowed = await session.call("upload_file", {
        local_path: path.join(harness.root, "project", "mine.txt"),
      });
      expect(allowed.isError, toolText(allowed)).toBeFalsy();
    } finally {
      await session.close();
    }
  });
});

describe("a --stateless HTTP server (SPEC §5: client roots narrow exactly as over sessions)", () => {
  // A stateless request's fresh server can't learn an initialize-era client's roots; it refuses
  // local-disk calls instead of widening them to the configured root.
  let harness: HttpHarness;

  beforeAll(async () => {
    harness = await startHttpHarness(sandbox, { http: { stateless: true } });
    await fs.mkdir(path.join(harness.root, "project"), { recursive: true });
    await fs.writeFile(path.join(harness.root, "inside.txt"), "inside the configured root");
  });

  afterAll(async () => {
    await harness?.close();
  });

  it("is never wider than the session would be: a client with narrower roots reads nothing outside them", async () => {
    const session = await openHttpSession(
      harness.server.url,
      { capabilities: { roots: {} }, stateless: true },
      offeringRoots(`file://${path.join(harness.root, "project")}`),
    );
    try {
      // Over a session this file lies outside the client's root and is refused; so here.
      const upload = await session.call("upload_file", { local_path: path.join(harness.root, "inside.txt") });
      expect(upload.isError).toBe(true);
      expect(toolText(upload)).toMatch(
        /stateless \(--stateless\), so it can't learn your client's MCP roots/,
      );
      const download = await session.call("download_files", {
        file_ids: [SEED.sharedTextFileId],
        save_to: harness.root,
      });
      expect(download.isError).toBe(true);
      expect(await fs.readdir(harness.root)).toEqual(["inside.txt", "project"]);
      expect(createdAtVagon()).toEqual([]);
      // What needs no local disk still works.
      const inline = await session.call("upload_file", { content: "hello", file_name: "hello.txt" });
      expect(inline.isError, toolText(inline)).toBeFalsy();
      const link = await session.call("download_files", { file_ids: [SEED.sharedTextFileId] });
      expect(link.isError, toolText(link)).toBeFalsy();
    } finally {
      await session.close();
    }
  });
});

describe("an HTTP server with no configured root", () => {
  it("has no local-disk features, whatever roots the client offers", async () => {
    const harness = await startHttpHarness(sandbox, { configuredRoot: false });
    const session = await openHttpSession(
      harness.server.url,
      { capabilities: { roots: {} } },
      offeringRoots("file:///", `file://${harness.outside}`),
    );
    try {
      const upload = await session.call("upload_file", { local_path: "/etc/passwd" });
      expect(upload.isError).toBe(true);
      expect(toolText(upload)).toMatch(/HTTP server has no local folder configured/);
      const download = await session.call("download_files", {
        file_ids: [SEED.sharedTextFileId],
        save_to: harness.outside,
      });
      expect(download.isError).toBe(true);
      expect(toolText(download)).toMatch(/HTTP server has no local folder configured/);
      expect(await fs.readdir(harness.outside)).toEqual([]);
      expect(createdAtVagon()).toEqual([]);
      // Remote features still work.
      expect((await session.call("list_files", {})).isError).toBeFalsy();
    } finally {
      await session.close();
      await harness.close();
    }
  });
});

describe("over stdio", () => {
  const { harness } = useHarness({ sandbox, capabilities: { roots: {} } });

  it("the client's roots are added to the configured ones", async () => {
    await fs.writeFile(path.join(harness.outside, "shared-by-host.txt"), "the host shares this folder");
    offeringRoots(`file://${harness.outside}`)(harness.mcp);
    const result = await harness.callTool("upload_file", {
      local_path: path.join(harness.outside, "shared-by-host.txt"),
    });
    expect(result.isError, toolText(result)).toBeFalsy();
  });
});

describe("local paths at the edge of a root", () => {
  const { harness } = useHarness({ sandbox, freshEachTest: true });

  it("a folder named '..cache' inside the root is inside; a save_to naming a file says so", async () => {
    await fs.mkdir(path.join(harness.root, "..cache"));
    await fs.writeFile(path.join(harness.root, "..cache", "x.txt"), "inside, despite the dots");
    const upload = await harness.callTool("upload_file", { local_path: "..cache/x.txt" });
    expect(upload.isError, toolText(upload)).toBeFalsy();
    const saved = await harness.callTool("download_files", {
      file_ids: [SEED.sharedTextFileId],
      save_to: "..cache",
    });
    expect(saved.isError, toolText(saved)).toBeFalsy();

    await fs.writeFile(path.join(harness.root, "report.txt"), "a file, not a folder");
    const onFile = await harness.callTool("download_files", {
      file_ids: [SEED.sharedTextFileId],
      save_to: "report.txt",
    });
    expect(onFile.isError).toBe(true);
    expect(toolText(onFile)).toMatch(/"report\.txt" is a file, not a folder/);
    expect(toolText(onFile)).not.toMatch(/Unexpected|EEXIST/);
  });

  it("a cancelled download is logged as a cancellation, not as an unexpected error", async () => {
    const cancel = new AbortController();
    const call = harness.mcp
      .callTool(
        {
          name: "download_files",
          arguments: { file_ids: [SEED.briefFileId, SEED.dataCsvFileId], save_to: "", wait_seconds: 600 },
        },
        undefined,
        { signal: cancel.signal },
      )
      .catch(() => {});
    // Cancel once the zip job is being waited for.
    while (!harness.logs.some((record) => JSON.stringify(record).includes("/files/downloads/"))) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    cancel.abort();
    await call;
    const outcome = () =>
      harness.logs.find((record) => /cancelled by the client|Unexpected error/.test(record.message));
    while (outcome() === undefined) await new Promise((resolve) => setImmediate(resolve));
    expect(outcome()?.message).toBe("download_files was cancelled by the client");
  });
});
