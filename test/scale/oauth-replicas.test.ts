// SPEC §5 + §6: an OAuth replica pair behind nginx (deploy/nginx.conf), each replica the built
// server in its own process, against a real authorization server. One token is accepted by
// either replica, and each replica fetched the issuer's keys once (at start-up), not per call.
import * as fs from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { findNginx, type Nginx, startNginx } from "../helpers/nginx.js";
import { CLI_PATH, freePort, type Replica, startReplica } from "../helpers/replicas.js";
import {
  type AuthorizationServer,
  MCP_SCOPES,
  startAuthorizationServer,
} from "../oauth/authorization-server.js";
import { mintToken } from "../oauth/oauth-client.js";

const CALLS = 100;
const nginxBinary = findNginx("OAuth replicas behind nginx (test/scale/oauth-replicas)");

describe.skipIf(nginxBinary === null)("an OAuth replica pair behind nginx", () => {
  let sandbox: Sandbox;
  let as: AuthorizationServer;
  let nginx: Nginx;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    fs.accessSync(CLI_PATH); // `npm test` builds before vitest runs.
    sandbox = await startSandbox();
    as = await startAuthorizationServer();
    const ports = [await freePort(), await freePort()];
    const listenPort = await freePort();
    const publicUrl = `http://127.0.0.1:${listenPort}/mcp`;
    for (const port of ports) {
      replicas.push(
        await startReplica({
          sandbox,
          port,
          logLevel: "warn",
          flags: ["--oauth-issuer", as.issuer, "--public-url", publicUrl],
        }),
      );
    }
    // deploy/nginx.conf names three upstreams: the pair fills them (one twice).
    nginx = await startNginx({
      binary: nginxBinary as string,
      upstreamPorts: [ports[0] as number, ports[1] as number, ports[1] as number],
      listenPort,
    });
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await as?.close();
    await sandbox?.close();
  });

  it("one token works on either replica, and each replica fetched the JWKS once, not per call", async () => {
    expect(as.jwksFetches()).toBe(replicas.length);
    const token = await mintToken(as.issuer, {
      resource: nginx.url,
      scope: MCP_SCOPES,
      choice: { account: "alice" },
    });
    const headers = { authorization: `Bearer ${token}` };
    // Each replica directly, so both are known to take it…
    for (const replica of replicas) {
      const client = new Client({ name: "replica-direct", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(replica.url), { requestInit: { headers } }),
      );
      expect((await client.callTool({ name: "list_files", arguments: {} })).isError).toBeFalsy();
      await client.close();
    }
    // …then through the balancer, calls spread over both.
    const client = new Client({ name: "through-nginx", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(nginx.url), { requestInit: { headers } }));
    const results = await Promise.all(
      Array.from({ length: CALLS }, () => client.callTool({ name: "list_files", arguments: {} })),
    );
    expect(results.filter((result) => result.isError)).toEqual([]);
    await client.close();
    // Unauthenticated through the balancer: the 401 points at the public metadata, which nginx passes on.
    const refused = await fetch(nginx.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(refused.status).toBe(401);
    const metadataUrl =
      /resource_metadata="([^"]+)"/.exec(refused.headers.get("www-authenticate") ?? "")?.[1] ?? "";
    expect(((await (await fetch(metadataUrl)).json()) as { resource: string }).resource).toBe(nginx.url);
    expect(as.jwksFetches()).toBe(replicas.length);
  });
});
