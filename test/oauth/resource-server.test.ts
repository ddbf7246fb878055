// The HTTP server as an OAuth 2.1 resource server (SPEC §6), against a real authorization server
// (oidc-provider, test/oauth/authorization-server.ts) and the MCP SDK's own client OAuth support.
import * as fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { decodeJwt, generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Config } from "../../src/config.js";
import { createLogger, type LogRecord } from "../../src/log.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { type HttpServerHandle, startHttpServer } from "../../src/transports/http.js";
import { createVagonClient } from "../../src/vagon/client.js";
import type { VagonClient } from "../../src/vagon/types.js";
import { freePort } from "../helpers/replicas.js";
import { type AuthorizationServer, MCP_SCOPES, startAuthorizationServer } from "./authorization-server.js";
import {
  connectWithOAuth,
  mintToken,
  type OAuthSession,
  REDIRECT_URI,
  TestOAuthClient,
} from "./oauth-client.js";

let sandbox: Sandbox;
let as: AuthorizationServer;
let vagon: VagonClient;
let server: HttpServerHandle;
let publicUrl: string;
let workDir: string;
const processLogs: LogRecord[] = [];
/** The resource server's clock, moved by the expiry tests. */
let clockShiftMs = 0;
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

/** The server's HTTP configuration with OAuth, against this file's sandbox. */
function oauthConfig(
  port: number,
  oauth: NonNullable<Config["http"]["oauth"]>,
  options: { stateless: boolean; roots?: string[]; logLevel?: Config["logLevel"] },
): Config {
  return {
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    roots: options.roots ?? [],
    downloadDir: null,
    readOnly: false,
    logLevel: options.logLevel ?? "error",
    transport: "http",
    http: { host: "127.0.0.1", port, token: null, stateless: options.stateless, oauth },
    sandbox: { enabled: true, shape: "jsonapi" },
    uploadConcurrency: 4,
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({ zipJob: { pendingMs: 120_000, processingMs: 1000 } });
  as = await startAuthorizationServer();
  workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-oauth-")));
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}/mcp`;
  const logger = createLogger({ level: "debug", stderr: false });
  logger.addSink((record) => processLogs.push(record));
  const config: Config = oauthConfig(
    port,
    { issuer: as.issuer, publicUrl, audience: null },
    { stateless: false, roots: [workDir], logLevel: "debug" },
  );
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

/** Uploads a small file as `session` and answers its id. */
async function upload(session: OAuthSession, fileName: string): Promise<number> {
  const result = await session.call("upload_file", {
    content: "hello",
    encoding: "utf8",
    file_name: fileName,
  });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return (result.structuredContent as { id: number }).id;
}

async function stillThere(fileName: string): Promise<boolean> {
  const entries = await vagon.listFiles({ location: "shared", parentId: 0, query: fileName });
  return entries.entries.some((entry) => entry.name === fileName);
}

function bearer(session: OAuthSession): Record<string, string> {
  return {
    authorization: `Bearer ${session.oauth.tokens()?.access_token ?? ""}`,
    "mcp-session-id": session.transport.sessionId ?? "",
    "mcp-protocol-version": "2025-06-18",
  };
}

describe("metadata", () => {
  it("serves the Protected Resource Metadata at both well-known paths", async () => {
    for (const wellKnown of [
      "/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-protected-resource",
    ]) {
      const response = await fetch(new URL(wellKnown, publicUrl));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource: publicUrl,
        authorization_servers: [as.issuer],
        scopes_supported: ["files:read", "files:write", "files:delete"],
        bearer_methods_supported: ["header"],
        resource_name: "Vagon Files",
      });
    }
  });
});

describe("tokens the server refuses", () => {
  it("a token the AS minted for another resource gets 401 invalid_token, and the token is never echoed", async () => {
    const foreign = await mintToken(as.issuer, {
      resource: "api://another-service",
      scope: MCP_SCOPES,
      choice: { account: "alice" },
    });
    expect(decodeJwt(foreign).aud).toBe("api://another-service");
    const response = await post(INITIALIZE, { authorization: `Bearer ${foreign}` });
    expect(response.status).toBe(401);
    const challenge = response.headers.get("www-authenticate") ?? "";
    expect(challenge).toMatch(/^Bearer error="invalid_token", /);
    expect(challenge).toContain('resource_metadata="');
    const text = await response.text();
    expect(`${challenge}${text}`).not.toContain(foreign);
    expect(JSON.stringify(processLogs)).not.toContain(foreign);
  });

  it("the extra audience (--oauth-audience) is accepted for a provider that can't mint the URL", async () => {
    const apiToken = await mintToken(as.issuer, {
      resource: "api://vagon-files",
      scope: MCP_SCOPES,
      choice: { account: "carol" },
    });
    expect((await post(INITIALIZE, { authorization: `Bearer ${apiToken}` })).status).toBe(401);
    const port = await freePort();
    const logger = createLogger({ level: "error", stderr: false });
    const withAudience = await startHttpServer({
      config: oauthConfig(
        port,
        { issuer: as.issuer, publicUrl: `http://127.0.0.1:${port}/mcp`, audience: "api://vagon-files" },
        { stateless: true },
      ),
      client: vagon,
      logger,
      createServer: createMcpServer,
    });
    try {
      const response = await fetch(withAudience.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${apiToken}`,
        },
        body: JSON.stringify(INITIALIZE),
      });
      expect(response.status).toBe(200);
    } finally {
      await withAudience.close();
    }
  });

  it("an expired token gets 401; within 60 s of skew it still passes", async () => {
    const dave = await connect("dave");
    const { exp } = decodeJwt(dave.oauth.tokens()?.access_token ?? "");
    const list = { jsonrpc: "2.0", id: 7, method: "tools/list" };
    try {
      clockShiftMs = (exp ?? 0) * 1000 + 30_000 - Date.now();
      expect((await post(list, bearer(dave))).status).toBe(200);
      clockShiftMs = (exp ?? 0) * 1000 + 90_000 - Date.now();
      const expired = await post(list, bearer(dave));
      expect(expired.status).toBe(401);
      expect(expired.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    } finally {
      clockShiftMs = 0;
    }
  });

  it("only asymmetric signatures by the issuer's keys count: HS256, none, a foreign key and a wrong iss get 401", async () => {
    const claims = { sub: "mallory", scope: MCP_SCOPES, client_id: "x" };
    const asKey = await importJWK(as.signingJwk, "ES256");
    const sign = (header: Record<string, unknown>, key: Parameters<SignJWT["sign"]>[0], issuer = as.issuer) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "as-key-1", ...header })
        .setIssuer(issuer)
        .setAudience(publicUrl)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(key);
    // The control: the same claims signed with the AS's key pass, so each refusal below is for its one flaw.
    const genuine = await sign({}, asKey);
    expect((await post(INITIALIZE, { authorization: `Bearer ${genuine}` })).status).toBe(200);

    const { privateKey: foreignKey } = await generateKeyPair("ES256");
    const forged = [
      await sign({ alg: "HS256" }, new TextEncoder().encode("a-shared-secret-anyone-could-guess")),
      new UnsecuredJWT(claims).setIssuer(as.issuer).setAudience(publicUrl).setExpirationTime("10m").encode(),
      await sign({ kid: "as-key-1" }, foreignKey),
      await sign({}, asKey, "http://127.0.0.1:1/realms/evil"),
    ];
    for (const token of forged) {
      const response = await post(INITIALIZE, { authorization: `Bearer ${token}` });
      expect(response.status, token.split(".")[0]).toBe(401);
    }
  });

  it("a flood of unknown kids costs at most one JWKS fetch, not one each", async () => {
    const before = as.jwksFetches();
    const tokens = await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const { privateKey } = await generateKeyPair("ES256");
        return new SignJWT({ sub: "mallory" })
          .setProtectedHeader({ alg: "ES256", kid: `forged-${index}` })
          .setIssuer(as.issuer)
          .setAudience(publicUrl)
          .setExpirationTime("10m")
          .sign(privateKey);
      }),
    );
    const statuses = await Promise.all(
      tokens.map(async (token) => (await post(INITIALIZE, { authorization: `Bearer ${token}` })).status),
    );
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(as.jwksFetches() - before).toBeLessThanOrEqual(1);
  });
});

describe("scopes", () => {
  it("files:read only: delete_files gets 403 insufficient_scope and changes nothing; the client steps up and the delete goes through after the preview", async () => {
    const writer = await connect("bob");
    await upload(writer, "oauth-stepup-1.txt");
    const bob = await connect("bob", "files:read");
    expect(decodeJwt(bob.oauth.tokens()?.access_token ?? "").scope).toBe("files:read");
    expect((await bob.call("list_files", {})).isError).toBeFalsy();

    const raw = await post(
      {
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "delete_files", arguments: { name: "oauth-stepup-*" } },
      },
      bearer(bob),
    );
    expect(raw.status).toBe(403);
    expect(raw.headers.get("www-authenticate")).toBe(
      `Bearer error="insufficient_scope", scope="files:read files:delete", resource_metadata="http://${new URL(publicUrl).host}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(await stillThere("oauth-stepup-1.txt")).toBe(true);
    // A write needs files:write, named the same way.
    const write = await post(
      {
        jsonrpc: "2.0",
        id: 10,
        method: "tools/call",
        params: { name: "create_directory", arguments: { name: "x" } },
      },
      bearer(bob),
    );
    expect(write.status).toBe(403);
    expect(write.headers.get("www-authenticate")).toContain('scope="files:read files:write"');

    // The user grants more when asked again: the SDK steps up on the 403 by itself.
    bob.oauth.choice = { account: "bob" };
    const preview = await bob.call("delete_files", { name: "oauth-stepup-*" });
    expect(bob.oauth.authorizations.at(-1)?.searchParams.get("scope")).toBe("files:read files:delete");
    const { plan_id: planId, status } = preview.structuredContent as { plan_id: string; status: string };
    expect(status).toBe("preview");
    const done = await bob.call("delete_files", { name: "oauth-stepup-*", confirm: planId });
    expect(done.structuredContent).toMatchObject({ status: "deleted", deleted: 1 });
    expect(await stillThere("oauth-stepup-1.txt")).toBe(false);
  });
});

describe("the subject is the caller", () => {
  it("subject A's delete plan and session are refused to subject B", async () => {
    const alice = await connect("alice");
    const eve = await connect("eve");
    await upload(alice, "oauth-plan-1.txt");
    const preview = await alice.call("delete_files", { name: "oauth-plan-*" });
    const planId = (preview.structuredContent as { plan_id: string }).plan_id;

    const stolen = await eve.call("delete_files", { name: "oauth-plan-*", confirm: planId });
    expect((stolen.structuredContent as { status: string }).status).toBe("changed");
    expect(await stillThere("oauth-plan-1.txt")).toBe(true);

    const list = { jsonrpc: "2.0", id: 3, method: "tools/list" };
    const hijack = await post(list, { ...bearer(eve), "mcp-session-id": alice.transport.sessionId ?? "" });
    expect(hijack.status).toBe(404);
    expect((await post(list, bearer(alice))).status).toBe(200);

    const done = await alice.call("delete_files", { name: "oauth-plan-*", confirm: planId });
    expect(done.structuredContent).toMatchObject({ status: "deleted", deleted: 1 });
  });

  it("a zip job can be cancelled only by the subject that started it, whatever token it holds now", async () => {
    const alice = await connect("alice");
    const eve = await connect("eve");
    const ids = [await upload(alice, "oauth-own-1.txt"), await upload(alice, "oauth-own-2.txt")];
    const started = await alice.call("download_files", { file_ids: ids, wait_seconds: 1 });
    const downloadId = (started.structuredContent as { download_id: number }).download_id;
    expect(downloadId).toEqual(expect.any(Number));

    const foreign = await eve.call("cancel_download", { download_id: downloadId });
    expect(foreign.isError).toBe(true);
    expect(JSON.stringify(foreign.content)).toContain("wasn't started through this server by you");
    // Alice on a new connection (a new token for the same subject and client) still owns it.
    const firstToken = alice.oauth.tokens()?.access_token;
    alice.oauth.forgetTokens();
    const again = await connectWithOAuth(publicUrl, alice.oauth);
    sessions.push(again);
    expect(alice.oauth.tokens()?.access_token).not.toBe(firstToken);
    const own = await again.call("cancel_download", { download_id: downloadId });
    expect(own.structuredContent).toEqual({ download_id: downloadId, status: "cancelled" });
  });

  it("each mutating call is logged once with subject, client id, tool and target, never the token", async () => {
    const frank = await connect("frank");
    const fileId = await upload(frank, "oauth-logged.txt");
    const lines = processLogs.filter(
      (record) => record.fields?.tool === "upload_file" && record.fields?.subject === "frank",
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toEqual({
      subject: "frank",
      client_id: frank.oauth.clientInformation()?.client_id,
      tool: "upload_file",
      target: { file_name: "oauth-logged.txt" },
    });
    await frank.call("delete_file", { file_id: fileId });
    expect(
      processLogs.filter(
        (record) => record.fields?.tool === "delete_file" && record.fields?.subject === "frank",
      ),
    ).toHaveLength(1);
    // Reading isn't logged as a mutation.
    await frank.call("list_files", {});
    expect(processLogs.some((record) => record.fields?.tool === "list_files")).toBe(false);
    const logs = JSON.stringify(processLogs);
    for (const session of sessions)
      expect(logs).not.toContain(session.oauth.tokens()?.access_token ?? "never");
  });

  it("one subject's calls in flight are capped (429 past the cap); another subject is not held up", async () => {
    const grace = await connect("grace");
    const henry = await connect("henry");
    const ids = [await upload(grace, "oauth-zip-1.txt"), await upload(grace, "oauth-zip-2.txt")];
    const controller = new AbortController();
    // Zip jobs of the sandbox wait in the queue for minutes: each call stays in flight until aborted.
    const held = Array.from({ length: MAX_IN_FLIGHT }, () => {
      let started!: () => void;
      const inFlight = new Promise<void>((resolve) => {
        started = resolve;
      });
      const call = grace.client
        .callTool({ name: "download_files", arguments: { file_ids: ids, wait_seconds: 600 } }, undefined, {
          signal: controller.signal,
          onprogress: () => started(),
          timeout: 600_000,
        })
        .catch(() => null);
      return { inFlight, call };
    });
    await Promise.all(held.map((each) => each.inFlight));

    const refused = await grace.call("list_files", {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StreamableHTTPError);
    expect((refused as StreamableHTTPError).code).toBe(429);
    expect((await henry.call("list_files", {})).isError).toBeFalsy();

    // A cancelled call stops counting at once, though its response never comes.
    controller.abort();
    await Promise.all(held.map((each) => each.call));
    // (The cancellations travel in their own POSTs, which may land after the abort returned.)
    await vi.waitFor(async () => expect((await grace.call("list_files", {})).isError).toBeFalsy(), {
      timeout: 20_000,
      interval: 50,
    });
  });
});

describe("Client ID Metadata Documents", () => {
  it("a host whose client_id is the URL of its metadata document connects without registering", async () => {
    // Both sides support it: the SDK client (clientMetadataUrl, used when the AS advertises
    // client_id_metadata_document_supported) and oidc-provider (features.clientIdMetadataDocument).
    const clientId = "https://host.example/oauth/client-metadata.json";
    const document = {
      client_id: clientId,
      client_name: "vagon-files-mcp test host (CIMD)",
      redirect_uris: [REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
    const fetchedDocuments: string[] = [];
    const cimdAs = await startAuthorizationServer({
      configure: (configuration) => {
        configuration.features = {
          ...configuration.features,
          clientIdMetadataDocument: { enabled: true, ack: "draft-02" },
        };
        // The AS fetches the document from the host's https URL: served here, as that host would.
        configuration.fetch = async (url) => {
          fetchedDocuments.push(String(url));
          return String(url) === clientId
            ? new Response(JSON.stringify(document), { headers: { "content-type": "application/json" } })
            : new Response("not found", { status: 404 });
        };
      },
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const cimdServer = await startHttpServer({
      config: oauthConfig(
        port,
        { issuer: cimdAs.issuer, publicUrl: url, audience: null },
        { stateless: false },
      ),
      client: vagon,
      logger: createLogger({ level: "error", stderr: false }),
      createServer: createMcpServer,
    });
    try {
      const oauth = new TestOAuthClient({ account: "ivy" }, clientId);
      const session = await connectWithOAuth(url, oauth);
      sessions.push(session);
      expect(oauth.clientInformation()?.client_id).toBe(clientId);
      expect(fetchedDocuments).toContain(clientId);
      expect(decodeJwt(oauth.tokens()?.access_token ?? "")).toMatchObject({
        sub: "ivy",
        client_id: clientId,
        aud: url,
      });
      expect((await session.call("list_files", {})).isError).toBeFalsy();
      await session.close();
    } finally {
      await cimdServer.close();
      await cimdAs.close();
    }
  });
});

describe("behind a TLS terminator", () => {
  it("takes the public URL's Host, points 401s at the metadata under the public path, and serves it there", async () => {
    const port = await freePort();
    const publicBehindProxy = "https://files-mcp.example.com/vagon/mcp";
    const proxied = await startHttpServer({
      config: oauthConfig(
        port,
        { issuer: as.issuer, publicUrl: publicBehindProxy, audience: null },
        { stateless: true },
      ),
      client: vagon,
      logger: createLogger({ level: "error", stderr: false }),
      createServer: createMcpServer,
    });
    try {
      const post = (host: string) =>
        rawHttpRequestText(
          port,
          `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        );
      const viaProxy = await post("files-mcp.example.com");
      expect(viaProxy).toMatch(/^HTTP\/1\.1 401/);
      expect(viaProxy).toContain(
        'resource_metadata="https://files-mcp.example.com/.well-known/oauth-protected-resource/vagon/mcp"',
      );
      expect(await post("evil.example.com")).toMatch(/^HTTP\/1\.1 403/);
      const metadata = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/vagon/mcp`);
      expect(((await metadata.json()) as { resource: string }).resource).toBe(publicBehindProxy);
    } finally {
      await proxied.close();
    }
  });
});

describe("scopes from scp", () => {
  it("reads scp as Okta sends it (a list) and as Entra sends it (a string)", async () => {
    const asKey = await importJWK(as.signingJwk, "ES256");
    const mint = (scp: string | string[]) =>
      new SignJWT({ sub: "judy", scp })
        .setProtectedHeader({ alg: "ES256", kid: "as-key-1" })
        .setIssuer(as.issuer)
        .setAudience(publicUrl)
        .setExpirationTime("10m")
        .sign(asKey);
    const call = (name: string) => ({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name, arguments: { file_id: 1 } },
    });
    for (const scp of [["files:read"], "files:read"]) {
      const token = await mint(scp);
      expect((await post(call("delete_file"), { authorization: `Bearer ${token}` })).status).toBe(403);
      // read_file passes the scope check and meets the next one: no session on this stateful server.
      expect((await post(call("read_file"), { authorization: `Bearer ${token}` })).status).toBe(400);
    }
  });
});

/** One raw HTTP/1.1 request (any Host); resolves with the whole answer as text. */
function rawHttpRequestText(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")));
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("2026-07-28 requests", () => {
  it("need the same token and scopes as the initialize era: 401 without one, 403 naming the scopes to ask for", async () => {
    const kate = await connect("kate", "files:read");
    const kateToken = kate.oauth.tokens()?.access_token ?? "";
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "modern-host", version: "1.0.0" },
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const modern = (name: string, args: Record<string, unknown>, token: string | null) =>
      fetch(publicUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/call",
          "mcp-name": name,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name, arguments: args, _meta: meta },
        }),
      });
    expect((await modern("list_files", {}, null)).status).toBe(401);
    const listed = await modern("list_files", {}, kateToken);
    expect(listed.status).toBe(200);
    expect(JSON.parse(await listed.text()).result.isError).toBeFalsy();
    const refused = await modern("delete_files", { name: "x-*" }, kateToken);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain('scope="files:read files:delete"');
  });
});
