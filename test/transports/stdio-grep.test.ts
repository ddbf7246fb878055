// read_file's grep from the built binary: the worker is a file of its own beside the bundle
// (dist/grep-worker.cjs), loaded by the bundled server, not source text evaluated at run time.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withRecords } from "../helpers/tables.js";

const cli = path.resolve("dist/cli.js");
let client: Client;
let root: string;

beforeAll(async () => {
  await fs.access(path.resolve("dist/grep-worker.cjs")); // `npm test` builds before vitest runs.
  root = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-stdio-grep-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, "--sandbox", "--root", root],
    stderr: "pipe",
  });
  client = new Client({ name: "stdio-grep-test", version: "1.0.0" });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await fs.rm(root, { recursive: true, force: true });
});

it("greps a stored file with the built server's worker", async () => {
  const listing = await client.callTool({ name: "list_files", arguments: { query: "welcome" } });
  const entry = withRecords<{ entries: { id: number; name: string }[] }>(listing.structuredContent)
    .entries[0]!;
  const result = await client.callTool({
    name: "read_file",
    arguments: { file_id: entry.id, grep: "project f\\w+", ignore_case: true },
  });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  expect(JSON.stringify(result.content)).toContain('Put project files in \\"Project Folder\\".');
});
