// The Streamable HTTP transport facing a network attacker: no token or a wrong one (401), a
// foreign Origin or Host (403, DNS rebinding), oversize bodies (413); then 30 honest sessions
// at once that must not see each other's results, and a shutdown that leaves nothing running.
import { randomBytes } from "node:crypto";
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { createLogger, type LogRecord } from "../../src/log.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { type HttpServerHandle, startHttpServer } from "../../src/transports/http.js";
import { createVagonClient } from "../../src/vagon/client.js";
import type { VagonClient } from "../../src/vagon/types.js";
import { withRecords } from "../helpers/tables.js";

const TOKEN = `hardening-${randomBytes(16).toString("hex")}`;
const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw-http", version: "1.0.0" },
  },
};

/** Sockets, servers and timers alive in this process, by kind. */
function liveResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === "TCPSocketWrap" || kind === "TCPServerWrap" || kind === "Timeout") {
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  return counts;
}

async function settledResources(baseline: Record<string, number>): Promise<Record<string, number>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = liveResources();
    const above = Object.entries(now).some(([kind, count]) => count > (baseline[kind] ?? 0));
    if (!above || Date.now() > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request on its own socket, with full control over Host, Origin and body. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean },
): Promise<RawResponse> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...options.headers,
  };
  if (body && !options.chunked) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: options.method ?? "POST",
        headers,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    // The server may answer 413 and close before the whole body is sent: the answer counts.
    request.on("error", reject);
    if (body && options.chunked) {
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        request.write(body.subarray(offset, offset + 64 * 1024));
      }
      request.end();
    } else {
      request.end(body);
    }
  });
}

function httpConfig(sandbox: Sandbox, overrides: Partial<Config["http"]> = {}): Config {
  return {
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    roots: [],
    downloadDir: null,
    readOnly: false,
    logLevel: "debug",
    transport: "http",
    http: { host: "127.0.0.1", port: 0, token: TOKEN, stateless: false, ...overrides },
    sandbox: { enabled: true, shape: "jsonapi" },
    uploadConcurrency: 4,
  };
}

let sandbox: Sandbox;
let vagon: VagonClient;
let server: HttpServerHandle;
const logs: LogRecord[] = [];
const logger = createLogger({ level: "debug", stderr: false });
logger.addSink((record) => logs.push(record));

beforeAll(async () => {
  sandbox = await startSandbox();
  logger.addSecret(sandbox.apiSecret);
  logger.addSecret(TOKEN);
  vagon = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    logger,
  });
  server = await startHttpServer({
    config: httpConfig(sandbox),
    client: vagon,
    logger,
    createServer: createMcpServer,
  });
});

afterAll(async () => {
  await server?.close();
  await vagon?.close().catch(() => {});
  await sandbox?.close();
});

describe("an attacker on the network", () => {
  it("without a bearer token gets 401 and opens no session", async () => {
    sandbox.clearRequests();
    const response = await rawRequest(server.url, { body: JSON.stringify(INITIALIZE) });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(server.sessionCount()).toBe(0);
    expect(sandbox.requests).toEqual([]);
  });

  it.each([
    ["a wrong token", `Bearer ${TOKEN.slice(0, -1)}x`],
    ["the token with extra characters", `Bearer ${TOKEN}x`],
    ["a token prefix", `Bearer ${TOKEN.slice(0, 16)}`],
    ["another scheme", `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`],
    ["an empty bearer", "Bearer "],
  ])("with %s gets 401", async (_label, authorization) => {
    const response = await rawRequest(server.url, {
      headers: { authorization },
      body: JSON.stringify(INITIALIZE),
    });
    expect(response.status).toBe(401);
    expect(response.text).not.toContain(TOKEN);
    expect(server.sessionCount()).toBe(0);
  });

  it.each([
    ["another web site", "https://evil.example"],
    ["a look-alike host", "http://127.0.0.1.evil.example"],
    ["a sandboxed frame", "null"],
    ["a file page", "file:///tmp/page.html"],
  ])("from %s's Origin gets 403, even with the right token", async (_label, origin) => {
    const response = await rawRequest(server.url, {
      headers: { authorization: `Bearer ${TOKEN}`, origin },
      body: JSON.stringify(INITIALIZE),
    });
    expect(response.status).toBe(403);
    expect(server.sessionCount()).toBe(0);
  });

  it.each([
    ["a rebinding name", "evil.example"],
    ["a rebinding name with the right port", "evil.example:{port}"],
    ["a wrong port", "127.0.0.1:1"],
    ["a name that starts like localhost", "localhost.evil.example"],
  ])("with %s as Host gets 403, even with the right token", async (_label, host) => {
    const response = await rawRequest(server.url, {
      headers: { authorization: `Bearer ${TOKEN}`, host: host.replace("{port}", String(server.port)) },
      body: JSON.stringify(INITIALIZE),
    });
    expect(response.status).toBe(403);
    expect(server.sessionCount()).toBe(0);
  });

  it("sending a body over 4 MiB gets 413, declared or streamed", async () => {
    const padding = "x".repeat(5 * 1024 * 1024);
    const oversize = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, padding } });
    const declared = await rawRequest(server.url, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: oversize,
    });
    expect(declared.status).toBe(413);
    const streamed = await rawRequest(server.url, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: oversize,
      chunked: true,
    }).catch((error: NodeJS.ErrnoException) => error);
    // Refusing mid-stream may reset the socket before the answer is read; either way no session.
    if ("status" in streamed) expect(streamed.status).toBe(413);
    else expect(streamed.code).toMatch(/ECONNRESET|EPIPE/);
    expect(server.sessionCount()).toBe(0);
  });

  it("the honest client with the token, a loopback Origin and Host is served", async () => {
    const response = await rawRequest(server.url, {
      headers: { authorization: `Bearer ${TOKEN}`, origin: "http://localhost:3000" },
      body: JSON.stringify(INITIALIZE),
    });
    expect(response.status).toBe(200);
    const sessionId = response.headers["mcp-session-id"];
    expect(typeof sessionId).toBe("string");
    const closed = await rawRequest(server.url, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}`, "mcp-session-id": String(sessionId) },
    });
    expect(closed.status).toBe(200);
    expect(server.sessionCount()).toBe(0);
  });
});

describe("many sessions at once", () => {
  // Enough that every call overlaps others from other sessions; isolation doesn't grow with more.
  const SESSIONS = 30;
  it(`${SESSIONS} sessions × 4 calls each see only their own results, then close without leaks`, async () => {
    // Its own server, logging warnings only: what is under test is isolation, and debug lines sent
    // as notifications to every session would make this a test of the logger's fan-out.
    const quietLogger = createLogger({ level: "warn", stderr: false });
    const server = await startHttpServer({
      config: { ...httpConfig(sandbox), logLevel: "warn" },
      client: vagon,
      logger: quietLogger,
      createServer: createMcpServer,
    });
    const agent = new Agent({ connections: 64 });
    const fetchWithAgent = ((input: string | URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async (_, index) => {
        const transport = new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
          fetch: fetchWithAgent,
        });
        const client = new Client({ name: `session-${index}`, version: "1.0.0" });
        await client.connect(transport);
        return { index, client, transport };
      }),
    );
    expect(server.sessionCount()).toBe(SESSIONS);
    expect(new Set(sessions.map((session) => session.transport.sessionId)).size).toBe(SESSIONS);

    const call = async (client: Client, name: string, args: Record<string, unknown>) => {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      return withRecords<Record<string, unknown>>(result.structuredContent);
    };
    const outcomes = await Promise.all(
      sessions.map(async ({ index, client }) => {
        const folder = await call(client, "create_directory", {
          name: `session-${index}-${randomBytes(3).toString("hex")}`,
        });
        const folderId = folder.id as number;
        // Four calls per session, all sessions at once: a folder, an upload, then two reads of it that
        // must see only this session's file.
        const uploaded: string[] = [];
        for (let file = 0; file < 1; file += 1) {
          const name = `s${index}-f${file}.txt`;
          const result = await call(client, "upload_file", {
            content: `session ${index} file ${file}`,
            encoding: "utf8",
            file_name: name,
            parent_id: folderId,
          });
          uploaded.push(result.name as string);
        }
        let listed: string[] = [];
        for (let read = 0; read < 2; read += 1) {
          const listing = await call(client, "list_files", { parent_id: folderId });
          const names = (listing.entries as { name: string }[]).map((entry) => entry.name).sort();
          if (read > 0) expect(names).toEqual(listed);
          listed = names;
        }
        return { index, folderId, uploaded: uploaded.sort(), listed };
      }),
    );
    for (const outcome of outcomes) {
      const own = Array.from({ length: 1 }, (_, file) => `s${outcome.index}-f${file}.txt`).sort();
      expect(outcome.uploaded).toEqual(own);
      expect(outcome.listed).toEqual(own);
      for (const entry of sandbox.children(outcome.folderId)) {
        expect((await sandbox.readFile(entry.id)).toString()).toMatch(
          new RegExp(`^session ${outcome.index} `),
        );
      }
    }
    expect(new Set(outcomes.map((outcome) => outcome.folderId)).size).toBe(SESSIONS);

    await Promise.all(
      sessions.map(async ({ client, transport }) => {
        await transport.terminateSession();
        await client.close();
      }),
    );
    expect(server.sessionCount()).toBe(0);
    await agent.close();
    await server.close();
  });

  it("an idle session expires, is cleaned up, and its id is refused afterwards", async () => {
    const shortLived = await startHttpServer({
      config: httpConfig(sandbox),
      client: vagon,
      logger,
      createServer: createMcpServer,
      idleSessionMs: 200,
    });
    try {
      const opened = await rawRequest(shortLived.url, {
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(INITIALIZE),
      });
      expect(opened.status).toBe(200);
      expect(shortLived.sessionCount()).toBe(1);
      const sessionId = String(opened.headers["mcp-session-id"]);
      const deadline = Date.now() + 5_000;
      while (shortLived.sessionCount() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(shortLived.sessionCount()).toBe(0);
      const late = await rawRequest(shortLived.url, {
        headers: { authorization: `Bearer ${TOKEN}`, "mcp-session-id": sessionId },
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
      });
      expect(late.status).toBe(404);
    } finally {
      await shortLived.close();
    }
  });

  it("after every session and the server are closed, no socket, server or timer is left", async () => {
    // Its own client and server, so the shared ones stay up for whatever runs after it.
    const before = liveResources();
    const ownClient = createVagonClient({
      apiUrl: sandbox.apiUrl,
      apiKey: sandbox.apiKey,
      apiSecret: sandbox.apiSecret,
      logger,
    });
    const own = await startHttpServer({
      config: httpConfig(sandbox),
      client: ownClient,
      logger,
      createServer: createMcpServer,
    });
    const transport = new StreamableHTTPClientTransport(new URL(own.url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    });
    const client = new Client({ name: "short-lived", version: "1.0.0" });
    await client.connect(transport);
    await client.callTool({ name: "list_files", arguments: {} });
    await transport.terminateSession();
    await client.close();
    await own.close();
    await ownClient.close();
    const after = await settledResources(before);
    for (const [kind, count] of Object.entries(after)) {
      expect(count, `${kind} still alive`).toBeLessThanOrEqual(before[kind] ?? 0);
    }
  });
});

describe("what the transport logs", () => {
  it("never contains the token or the API secret", async () => {
    // Its own traffic: a refused request and a served one, whatever ran before.
    const from = logs.length;
    await rawRequest(server.url, {
      headers: { authorization: `Bearer ${TOKEN}x` },
      body: JSON.stringify(INITIALIZE),
    });
    const served = await rawRequest(server.url, {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(INITIALIZE),
    });
    await rawRequest(server.url, {
      method: "DELETE",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "mcp-session-id": String(served.headers["mcp-session-id"]),
      },
    });
    const own = logs.slice(from);
    const text = JSON.stringify(own);
    expect(own.length).toBeGreaterThan(0);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(sandbox.apiSecret);
  });
});
