// The HTTP server as an OAuth 2.1 resource server (SPEC §6), against a real authorization server
// (oidc-provider, test/oauth/authorization-server.ts) and the MCP SDK's own client OAuth support.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { createLogger, type LogRecord } from "../../src/log.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { type HttpServerHandle, startHttpServer } from "../../src/transports/http.js";
import { createVagonClient } from "../../src/vagon/client.js";
import type { VagonClient } from "../../src/vagon/types.js";
import { freePort } from "../helpers/replicas.js";
import { type AuthorizationServer, MCP_SCOPES, startAuthorizationServer } from "./authorization-server.js";
import { connectWithOAuth, mintToken, type OAuthSession, TestOAuthClient } from "./oauth-client.js";

let sandbox: Sandbox;
let as: AuthorizationServer;
let vagon: VagonClient;
let server: HttpServerHandle;
let publicUrl: string;
let workDir: string;
const processLogs: LogRecord[] = [];
/** The resource server's clock, moved by the expiry tests. */
const clockShiftMs = 0;
const MAX_IN_FLIGHT = 2;
const sessions: OAuthSession[] = [];

async function connect(account: string, grant?: string): Promise<OAuthSession> {
  const session = await connectWithOAuth(
    publicUrl,
    new TestOAuthClient({ account, ...(grant ? { grant } : {}) }),
  );
  sessions.push(session);
  return session;
}

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(publicUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

beforeAll(async () => {
  sandbox = await startSandbox({ zipJob: { pendingMs: 120_000, processingMs: 1000 } });
  as = await startAuthorizationServer();
  workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-oauth-")));
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}/mcp`;
  const logger = createLogger({ level: "debug", stderr: false });
  logger.addSink((record) => processLogs.push(record));
  const config: Config = {
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    roots: [workDir],
    downloadDir: null,
    readOnly: false,
    logLevel: "debug",
    transport: "http",
    http: {
      host: "127.0.0.1",
      port,
      token: null,
      stateless: false,
      oauth: { issuer: as.issuer, publicUrl, audience: null },
    },
    sandbox: { enabled: true, shape: "jsonapi" },
    uploadConcurrency: 4,
  };
  vagon = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    logger,
  });
  server = await startHttpServer({
    config,
    client: vagon,
    logger,
    createServer: createMcpServer,
    oauth: { maxCallsInFlightPerSubject: MAX_IN_FLIGHT, now: () => Date.now() + clockShiftMs },
  });
});

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => {})));
  await server?.close();
  await vagon?.close();
  await as?.close();
  await sandbox?.close();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

describe("a host connects with OAuth", () => {
  it("the SDK client does the whole dance: 401 → metadata → registration → PKCE code with resource → token → tool calls", async () => {
    const unauthenticated = await post(INITIALIZE);
    expect(unauthenticated.status).toBe(401);
    const challenge = unauthenticated.headers.get("www-authenticate") ?? "";
    const metadataUrl = `http://${new URL(publicUrl).host}/.well-known/oauth-protected-resource/mcp`;
    expect(challenge).toBe(`Bearer resource_metadata="${metadataUrl}"`);

    const alice = await connect("alice");
    const [authorization] = alice.oauth.authorizations;
    expect(authorization?.searchParams.get("resource")).toBe(publicUrl);
    expect(authorization?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorization?.searchParams.get("scope")).toBe(MCP_SCOPES);
    // Registered dynamically with the AS.
    expect(alice.oauth.clientInformation()?.client_id).toMatch(/.+/);
    const token = alice.oauth.tokens()?.access_token ?? "";
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: as.issuer, sub: "alice", aud: publicUrl });

    const { tools } = await alice.client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("delete_files");
    const listing = await alice.call("list_files", {});
    expect(listing.isError).toBeFalsy();
  });
});
