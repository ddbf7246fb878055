// What the OAuth mode refuses at start-up (SPEC §1 OAuth rows, issue 20 item 1), how it finds the
// issuer's keys (RFC 8414, then OpenID Connect Discovery; both forms for an issuer with a path),
// and which scope each tool needs.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, HELP_TEXT, loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { TOOLS } from "../../src/mcp/tools/index.js";
import { startHttpServer } from "../../src/transports/http.js";
import { discoverIssuer, issuerMetadataUrls } from "../../src/transports/oauth/metadata.js";
import { scopeChallenge, toolScope } from "../../src/transports/oauth/scopes.js";
import { createVagonClient } from "../../src/vagon/client.js";
import { freePort } from "../helpers/replicas.js";
import { type AuthorizationServer, REALM_PATH, startAuthorizationServer } from "./authorization-server.js";

const credentials = { VAGON_API_KEY: "vk_live_key", VAGON_API_SECRET: "vs_live_secret" };
const ISSUER = "https://login.example.com/realms/vagon";
const PUBLIC_URL = "https://files-mcp.example.com/mcp";

function configError(argv: string[], env: NodeJS.ProcessEnv = credentials): string {
  try {
    loadConfig(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`loadConfig(${argv.join(" ")}) did not fail`);
}

describe("start-up refusals", () => {
  it("takes the issuer, public URL and extra audience from flags or the environment", () => {
    const fromFlags = loadConfig(
      [
        "--http",
        "--host",
        "0.0.0.0",
        "--oauth-issuer",
        ISSUER,
        "--public-url",
        PUBLIC_URL,
        "--oauth-audience",
        "api://vagon-files",
      ],
      credentials,
    );
    expect(fromFlags.command === "serve" && fromFlags.config.http.oauth).toEqual({
      issuer: ISSUER,
      publicUrl: PUBLIC_URL,
      audience: "api://vagon-files",
    });
    const fromEnv = loadConfig(["--http"], {
      ...credentials,
      VAGON_MCP_OAUTH_ISSUER: ISSUER,
      VAGON_MCP_PUBLIC_URL: PUBLIC_URL,
    });
    expect(fromEnv.command === "serve" && fromEnv.config.http.oauth).toEqual({
      issuer: ISSUER,
      publicUrl: PUBLIC_URL,
      audience: null,
    });
    for (const name of ["VAGON_MCP_OAUTH_ISSUER", "VAGON_MCP_PUBLIC_URL", "VAGON_MCP_OAUTH_AUDIENCE"]) {
      expect(HELP_TEXT).toContain(name);
    }
  });

  it("refuses a static token and OAuth together: hosts that see OAuth discovery drop the header", () => {
    expect(
      configError(["--http", "--oauth-issuer", ISSUER, "--public-url", PUBLIC_URL], {
        ...credentials,
        VAGON_MCP_HTTP_TOKEN: "0123456789abcdef0123",
      }),
    ).toMatch(/VAGON_MCP_HTTP_TOKEN and --oauth-issuer exclude each other/);
  });

  it("refuses OAuth without a public URL, and a public URL or audience without an issuer", () => {
    expect(configError(["--http", "--oauth-issuer", ISSUER])).toMatch(/needs the server's public MCP URL/);
    expect(configError(["--http", "--public-url", PUBLIC_URL])).toMatch(
      /--public-url only applies with OAuth/,
    );
    expect(configError(["--oauth-issuer", ISSUER])).toMatch(/only applies to the HTTP transport/);
  });

  it("refuses a non-loopback bind with neither a token nor OAuth", () => {
    expect(configError(["--http", "--host", "0.0.0.0"])).toMatch(/--oauth-issuer with --public-url/);
  });

  it("accepts http:// issuers and public URLs only on loopback", () => {
    expect(
      configError([
        "--http",
        "--host",
        "0.0.0.0",
        "--oauth-issuer",
        "http://login.example.com",
        "--public-url",
        PUBLIC_URL,
      ]),
    ).toMatch(
      /--oauth-issuer "http:\/\/login.example.com" is http:\/\/, accepted only when the server is bound to loopback/,
    );
    expect(
      configError([
        "--http",
        "--host",
        "0.0.0.0",
        "--oauth-issuer",
        ISSUER,
        "--public-url",
        "http://files.example.com/mcp",
      ]),
    ).toMatch(/--public-url .* is http:\/\//);
    const loopback = loadConfig(
      [
        "--http",
        "--oauth-issuer",
        "http://127.0.0.1:9000/realms/x",
        "--public-url",
        "http://127.0.0.1:8808/mcp",
      ],
      credentials,
    );
    expect(loopback.command).toBe("serve");
  });

  it("refuses to start when the issuer's metadata can't be fetched, saying what was fetched and what came back", async () => {
    const silent = createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/realms/nowhere`;
    const client = createVagonClient({
      apiUrl: "http://127.0.0.1:1",
      apiKey: "k",
      apiSecret: "s",
      logger: silentLogger,
    });
    try {
      const starting = startHttpServer({
        config: {
          apiUrl: "http://127.0.0.1:1",
          apiKey: "k",
          apiSecret: "s",
          roots: [],
          downloadDir: null,
          readOnly: false,
          logLevel: "error",
          transport: "http",
          http: {
            host: "127.0.0.1",
            port: 0,
            token: null,
            stateless: false,
            oauth: { issuer, publicUrl: "http://127.0.0.1:8808/mcp", audience: null },
          },
          sandbox: { enabled: false, shape: "jsonapi" },
          uploadConcurrency: 4,
        },
        client,
        logger: silentLogger,
        createServer: createMcpServer,
      });
      const origin = new URL(issuer).origin;
      await expect(starting).rejects.toThrow(
        `Could not read the OAuth issuer's metadata, so no token could be checked: ${origin}/.well-known/oauth-authorization-server/realms/nowhere → HTTP 404; ${origin}/realms/nowhere/.well-known/openid-configuration → HTTP 404.`,
      );
      // Nothing listening at all: the network error is named.
      await expect(discoverIssuer(`http://127.0.0.1:${await freePort()}/x`)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await client.close();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("finding the issuer's keys", () => {
  let as: AuthorizationServer;
  let fake: Server;
  let fakeIssuer: string;
  beforeAll(async () => {
    as = await startAuthorizationServer();
    // A provider that serves only RFC 8414's inserted form, with an issuer that has a path.
    fake = createServer((req, res) => {
      if (req.url === "/.well-known/oauth-authorization-server/tenant/a") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ issuer: fakeIssuer, jwks_uri: `${fakeIssuer}/keys` }));
        return;
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    fakeIssuer = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/tenant/a`;
  });
  afterAll(async () => {
    await as.close();
    await new Promise((resolve) => fake.close(resolve));
  });

  it("tries RFC 8414's inserted form first, then OpenID's appended form", () => {
    expect(issuerMetadataUrls("https://kc.example.com/realms/vagon")).toEqual([
      "https://kc.example.com/.well-known/oauth-authorization-server/realms/vagon",
      "https://kc.example.com/realms/vagon/.well-known/openid-configuration",
    ]);
    expect(issuerMetadataUrls("https://tenant.auth0.com/")).toEqual([
      "https://tenant.auth0.com/.well-known/oauth-authorization-server",
      "https://tenant.auth0.com/.well-known/openid-configuration",
    ]);
  });

  it("finds a path issuer's keys through OpenID's appended form (oidc-provider, mounted like Keycloak)", async () => {
    const found = await discoverIssuer(as.issuer);
    expect(found.metadataUrl).toBe(`${as.issuer}/.well-known/openid-configuration`);
    expect(found.jwksUri).toBe(`${as.issuer}/jwks`);
    expect(as.issuer).toContain(REALM_PATH);
  });

  it("finds them through RFC 8414's inserted form when that is what the provider serves", async () => {
    const found = await discoverIssuer(fakeIssuer);
    expect(found.metadataUrl).toMatch(/\/\.well-known\/oauth-authorization-server\/tenant\/a$/);
    expect(found.jwksUri).toBe(`${fakeIssuer}/keys`);
  });

  it("refuses metadata that names another issuer (RFC 8414 §3.3)", async () => {
    await expect(discoverIssuer(`${as.issuer}/`)).rejects.toThrow(/metadata for issuer ".*", not ".*\/"/);
  });
});

describe("scopes per tool (SPEC §6)", () => {
  it("reading tools need files:read, creating files:write, deleting and aborting files:delete", () => {
    const byScope: Record<string, string[]> = {};
    for (const tool of TOOLS) {
      const scope = toolScope(tool.name);
      byScope[scope] = [...(byScope[scope] ?? []), tool.name];
    }
    expect(byScope["files:write"]?.sort()).toEqual(
      ["complete_upload", "create_directory", "create_upload_link", "upload_file"].sort(),
    );
    expect(byScope["files:delete"]?.sort()).toEqual(
      ["cancel_download", "delete_file", "delete_files"].sort(),
    );
    expect(byScope["files:read"]).toEqual(
      expect.arrayContaining(["list_files", "read_file", "download_files", "get_download"]),
    );
  });

  it("the handshake, ping and the lists need no scope; anything else at least files:read", () => {
    const none = new Set<string>();
    for (const method of [
      "initialize",
      "server/discover",
      "ping",
      "tools/list",
      "resources/list",
      "prompts/list",
    ]) {
      expect(scopeChallenge({ jsonrpc: "2.0", id: 1, method }, none), method).toBeNull();
    }
    expect(
      scopeChallenge(
        { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "vagon://files/1" } },
        none,
      ),
    ).toEqual(["files:read"]);
    expect(scopeChallenge({ jsonrpc: "2.0", id: 1, method: "some/new-method" }, none)).toEqual([
      "files:read",
    ]);
    // A batch names every scope any of its calls needs.
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "upload_file" } },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "delete_file" } },
    ];
    expect(scopeChallenge(batch, new Set(["files:write"]))).toEqual(["files:write", "files:delete"]);
    expect(scopeChallenge(batch, new Set(["files:write", "files:delete"]))).toBeNull();
  });
});
