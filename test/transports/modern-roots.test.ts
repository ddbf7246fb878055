// A 2026-07-28 client's roots: asked for with input_required (no server→client requests in that
// era) and, over HTTP, narrowing the configured root exactly as a session's roots do (SPEC §5).
import * as fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { type HttpHarness, startHttpHarness } from "../helpers/http-sessions.js";

const textOf = (result: { content: unknown }) =>
  (result.content as Array<{ type: string; text?: string }>).map((item) => item.text ?? "").join("\n");

describe.each([false, true])("2026-07-28 client roots over HTTP (stateless: %s)", (stateless) => {
  let sandbox: Sandbox;
  let harness: HttpHarness;
  let asked = 0;

  async function connect(roots: string[] | null): Promise<Client> {
    const client = new Client(
      { name: "modern-roots", version: "1.0.0" },
      {
        capabilities: roots ? { roots: {} } : {},
        versionNegotiation: { mode: { pin: "2026-07-28" } },
      },
    );
    if (roots) {
      client.setRequestHandler("roots/list", () => {
        asked += 1;
        return { roots: roots.map((root) => ({ uri: pathToFileURL(root).href })) };
      });
    }
    await client.connect(new StreamableHTTPClientTransport(new URL(harness.server.url)));
    return client;
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
    harness = await startHttpHarness(sandbox, { http: { stateless } });
    await fs.mkdir(path.join(harness.root, "mine"));
    await fs.mkdir(path.join(harness.root, "other"));
  });

  afterAll(async () => {
    await harness?.close();
    await sandbox?.close();
  });

  const download = (client: Client, saveTo: string) =>
    client.callTool({
      name: "download_files",
      arguments: { file_ids: [SEED.sharedTextFileId], save_to: saveTo },
    });

  it("narrows the configured root to the client's root, asked for through input_required", async () => {
    const client = await connect([path.join(harness.root, "mine")]);
    try {
      const before = asked;
      const inside = await download(client, path.join(harness.root, "mine"));
      expect(inside.isError, textOf(inside)).toBeFalsy();
      expect(asked).toBeGreaterThan(before);
      const outside = await download(client, path.join(harness.root, "other"));
      expect(outside.isError).toBe(true);
      expect(textOf(outside)).toContain("outside the folders this server may use");
      expect(await fs.readdir(path.join(harness.root, "other"))).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("a root outside the configured one widens nothing; a client without roots gets the configured root", async () => {
    const far = await connect(["/etc"]);
    try {
      expect((await download(far, "/etc")).isError).toBe(true);
      const configured = await download(far, path.join(harness.root, "other"));
      expect(configured.isError, textOf(configured)).toBeFalsy();
    } finally {
      await far.close();
    }
    const none = await connect(null);
    try {
      const configured = await download(none, path.join(harness.root, "other"));
      expect(configured.isError, textOf(configured)).toBeFalsy();
    } finally {
      await none.close();
    }
  });
});
