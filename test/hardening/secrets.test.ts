// Secrets never leave the process: every tool's error paths run with debug logging, over the
// in-memory transport and over HTTP with a bearer token, and then stderr, the MCP logging
// notifications and every result are scanned for the API secret, the HTTP token and presigned
// URL signatures. Presigned links in successful results are the one exception, and must be
// labelled as temporary.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createMcpServer } from "../../src/mcp/server.js";
import { SEED } from "../../src/sandbox/index.js";
import { startHttpServer } from "../../src/transports/http.js";
import { toolText, useHarness } from "../helpers/harness.js";

const TOKEN = `secret-token-${randomBytes(20).toString("hex")}`;
const SIGNATURE_PARAM = /X-Amz-Signature=([^&\s"'\\]+)/gi;

const stderrChunks: string[] = [];
const results: { call: string; result: CallToolResult }[] = [];
const httpNotifications: LoggingMessageNotification["params"][] = [];
/** Signatures seen in presigned URLs handed out in successful results. */
const knownSignatures = new Set<string>();

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = await harness.callTool(name, args, { timeoutMs: 60_000 });
  results.push({ call: `${name} ${JSON.stringify(args)}`, result });
  return result;
}

function leaksIn(text: string, where: string): string[] {
  const found: string[] = [];
  if (text.includes(sandbox.apiSecret)) found.push(`${where}: the API secret`);
  if (text.includes(TOKEN)) found.push(`${where}: the HTTP token`);
  for (const match of text.matchAll(SIGNATURE_PARAM)) {
    if (match[1] !== "[redacted]" && match[1] !== "%5Bredacted%5D")
      found.push(`${where}: X-Amz-Signature=${match[1]}`);
  }
  for (const signature of knownSignatures)
    if (text.includes(signature)) found.push(`${where}: a presigned signature`);
  if (/HMAC [^:\s]+:[0-9a-f]{64}/.test(text)) found.push(`${where}: an HMAC request signature`);
  return found;
}

// Capture what the logger writes to the real stderr, without printing it (before the harness logs).
beforeAll(() => {
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderrChunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
});

const { harness, sandbox } = useHarness({
  sandboxOptions: { zipJob: { pendingMs: 20, processingMs: 20 } },
  logLevel: "debug",
  stderr: true,
  config: { http: { host: "127.0.0.1", port: 0, token: TOKEN, stateless: false } },
  clientOptions: { maxRetries: 1, retryBaseDelayMs: 5, maxRetryAfterMs: 10 },
});

beforeAll(async () => {
  // Both sweeps run here, so every test below reads what they left, whatever order tests run in.
  await sweepInMemory();
  await sweepOverHttp();
}, 120_000);

afterAll(() => {
  vi.restoreAllMocks();
});

/** Every tool's error paths with debug logging, over the in-memory transport. */
async function sweepInMemory(): Promise<void> {
  const { root } = harness;
  const saveTo = path.join(root, "downloads");
  await fs.mkdir(saveTo);
  await fs.writeFile(path.join(root, "upload.bin"), randomBytes(64 * 1024));

  // Successful calls first: they hand out presigned URLs whose signatures must not leak elsewhere.
  await call("download_files", { file_ids: [SEED.sharedTextFileId] });
  const bundle = await call("download_task_bundle", { task_id: SEED.taskId, wait_seconds: 30 });
  for (const { result } of results) {
    for (const match of JSON.stringify(result).matchAll(SIGNATURE_PARAM))
      knownSignatures.add(match[1] as string);
  }
  const downloadId = (bundle.structuredContent as { download_id: number }).download_id;

  // Vagon's answers: not found, not running, clashes, root folders, finished jobs.
  await call("list_files", { parent_id: 987_654 });
  await call("list_files", { location: "machine", machine_id: 987 });
  await call("list_files", { location: "recordings", parent_id: 987_654 });
  await call("list_machine_content", { machine_id: SEED.stoppedMachineId, path: "C:\\Users" });
  await call("list_machine_content", { machine_id: SEED.runningMachineId, path: "C:\\No\\Such\\Folder" });
  await call("upload_file", {
    content: "x",
    encoding: "utf8",
    file_name: "orphan.txt",
    parent_id: 987_654,
  });
  await call("upload_file", { content: "!!!", encoding: "base64", file_name: "bad.txt" });
  await call("upload_file", { local_path: path.join(root, "missing.bin") });
  await call("upload_file", { local_path: "/etc/passwd" });
  await call("create_directory", { name: "dup-folder" });
  await call("create_directory", { name: "dup-folder" });
  await call("create_directory", { name: "orphan", parent_id: 987_654 });
  await call("download_files", { file_ids: [987_654] });
  await call("download_files", { file_ids: [SEED.sharedTextFileId, 987_654] });
  await call("download_files", { directory_id: 987_654 });
  await call("download_files", { file_ids: [SEED.sharedTextFileId], save_to: "/etc" });
  await call("download_task_bundle", { task_id: 987 });
  await call("get_download", { download_id: 987_654 });
  await call("cancel_download", { download_id: downloadId });
  await call("cancel_download", { download_id: 987_654 });
  await call("delete_file", { file_id: SEED.sharedRootId });
  await call("delete_file", { file_id: 987_654 });

  // Failures in the middle of transfers, where presigned URLs are in play.
  sandbox.setFaults({ routes: { "s3-put": { error5xx: 1 } } });
  await call("upload_file", { local_path: path.join(root, "upload.bin"), file_name: "doomed.bin" });
  sandbox.setFaults({ routes: { "s3-get": { drop: 1 } } });
  await call("download_files", { file_ids: [SEED.sharedTextFileId], save_to: saveTo });
  sandbox.setFaults({ routes: { "s3-get": { truncate: 1 } } });
  await call("get_download", { download_id: downloadId, save_to: saveTo, wait_seconds: 5 });
  sandbox.setFaults({ routes: { "download-status": { error5xx: 1 }, download: { error5xx: 1 } } });
  await call("download_task_bundle", { task_id: SEED.taskId, wait_seconds: 5 });
  await call("get_download", { download_id: downloadId, wait_seconds: 1 });
  sandbox.setFaults({ routes: { "*": { drop: 1 } } });
  await call("list_files", {});
  await call("delete_file", { file_id: 987_654 });
  sandbox.setFaults(null);
}

/** What the refused HTTP requests got back. */
const refusedAnswers: { status: number; text: string }[] = [];
const httpResults: CallToolResult[] = [];

/** Error paths over HTTP with the bearer token, and requests refused before any session. */
async function sweepOverHttp(): Promise<void> {
  const server = await startHttpServer({
    config: harness.config,
    client: harness.vagon,
    logger: harness.logger,
    createServer: createMcpServer,
  });
  try {
    // Refused requests: a wrong token, and the right one with a foreign Origin.
    const refusedHeaders: Record<string, string>[] = [
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" },
    ];
    for (const headers of refusedHeaders) {
      const response = await fetch(server.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      refusedAnswers.push({ status: response.status, text: await response.text() });
    }
    const client = new Client({ name: "secrets-over-http", version: "1.0.0" });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      httpNotifications.push(notification.params);
    });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    });
    await client.connect(transport);
    if (client.getServerCapabilities()?.logging) await client.setLoggingLevel("debug");
    for (const [name, args] of [
      ["list_files", { parent_id: 987_654 }],
      ["download_files", { file_ids: [987_654] }],
      ["delete_file", { file_id: SEED.sharedRootId }],
    ] as const) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      results.push({ call: `http ${name}`, result });
      httpResults.push(result);
    }
    await transport.terminateSession();
    await client.close();
  } finally {
    await server.close();
  }
}

describe("secrets on every error path", () => {
  it("runs every tool's error paths with debug logging", () => {
    const [link, bundle] = results;
    expect(link?.call).toMatch(/^download_files/);
    expect(link?.result.isError, link && toolText(link.result)).toBeFalsy();
    expect(bundle?.call).toMatch(/^download_task_bundle/);
    expect(bundle?.result.isError, bundle && toolText(bundle.result)).toBeFalsy();
    expect(knownSignatures.size).toBeGreaterThan(0);
    const errors = results.filter(({ call: what, result }) => !what.startsWith("http ") && result.isError);
    expect(errors.length).toBeGreaterThanOrEqual(25);
  });

  it("runs error paths over HTTP with the bearer token, and refused requests too", () => {
    expect(refusedAnswers).toHaveLength(2);
    for (const { status, text } of refusedAnswers) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(text).not.toContain(TOKEN);
    }
    expect(httpResults).toHaveLength(3);
    for (const result of httpResults) expect(result.isError).toBe(true);
  });

  it("leaves no secret in stderr, log records, MCP log notifications or error results", () => {
    const stderrText = stderrChunks.join("");
    expect(stderrText.length).toBeGreaterThan(0);
    expect(harness.notifications.length + httpNotifications.length).toBeGreaterThan(0);

    const found = [
      ...leaksIn(stderrText, "stderr"),
      ...leaksIn(JSON.stringify(harness.logs), "log records"),
      ...leaksIn(JSON.stringify(harness.notifications), "MCP log notifications"),
      ...leaksIn(JSON.stringify(httpNotifications), "MCP log notifications over HTTP"),
      ...results
        .filter(({ result }) => result.isError)
        .flatMap(({ call: what, result }) => leaksIn(JSON.stringify(result), `error result of ${what}`)),
    ];
    expect(found).toEqual([]);
  });

  it("shows presigned links only in successful results, labelled as temporary", () => {
    for (const { call: what, result } of results) {
      const json = JSON.stringify(result);
      expect(json.includes(sandbox.apiSecret), `${what} holds the API secret`).toBe(false);
      expect(json.includes(TOKEN), `${what} holds the HTTP token`).toBe(false);
    }
    const withLinks = results.filter(({ result }) => /X-Amz-Signature=/i.test(JSON.stringify(result)));
    expect(withLinks.length).toBeGreaterThan(0);
    for (const { call: what, result } of withLinks) {
      expect(result.isError, what).toBeFalsy();
      expect(toolText(result), what).toMatch(/temporar/i);
    }
  });
});
