// What OAuth costs per call: the same `ping` over the same stateless HTTP server, once with a
// static bearer token and once with a JWT access token from a real authorization server
// (oidc-provider, as in test/oauth/), interleaved call by call so both see the same load. The
// target is the added p50 (≤ 1 ms once the JWKS is cached). Then a 1,000-call burst on a fresh
// OAuth replica: how many times it fetched the JWKS (target: 1, at start-up, not per call).
//
// Part of `npm run bench` (BENCH_ONLY=oauth), or on its own: node --import tsx bench/oauth.ts
//   OAUTH_CALLS=2000   calls per mode in the latency run (default 2000)
import { pathToFileURL } from "node:url";
import type { Config } from "../src/config.js";
import { silentLogger } from "../src/log.js";
import { createMcpServer } from "../src/mcp/server.js";
import { startSandbox } from "../src/sandbox/index.js";
import { type HttpServerHandle, startHttpServer } from "../src/transports/http.js";
import { createVagonClient } from "../src/vagon/client.js";
import { freePort } from "../test/helpers/replicas.js";
import { MCP_SCOPES, startAuthorizationServer } from "../test/oauth/authorization-server.js";
import { mintToken } from "../test/oauth/oauth-client.js";
import { type BenchResult, median, note, print, valueResult } from "./lib.js";
import type { BenchEnv } from "./setup.js";

const ADDED_P50_TARGET_MS = 1;
const BURST_CALLS = 1000;
const STATIC_TOKEN = "bench-static-token-0123456789abcdef";

type Env = Pick<BenchEnv, "sandbox" | "vagon">;

function config(env: Env, port: number, http: Partial<Config["http"]>): Config {
  return {
    apiUrl: env.sandbox.apiUrl,
    apiKey: env.sandbox.apiKey,
    apiSecret: env.sandbox.apiSecret,
    roots: [],
    downloadDir: null,
    readOnly: false,
    logLevel: "error",
    transport: "http",
    http: { host: "127.0.0.1", port, token: null, stateless: true, ...http },
    sandbox: { enabled: true, shape: "jsonapi" },
    uploadConcurrency: 4,
  };
}

async function ping(url: string, token: string, id: number): Promise<number> {
  const startedAt = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${token}`,
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "ping" }),
  });
  await response.text();
  if (response.status !== 200) throw new Error(`ping answered HTTP ${response.status}`);
  return performance.now() - startedAt;
}

export async function benchOAuth(env: Env): Promise<BenchResult[]> {
  const as = await startAuthorizationServer();
  const servers: HttpServerHandle[] = [];
  const start = async (http: Partial<Config["http"]>, port?: number, verifiedCacheEntries?: number) => {
    const server = await startHttpServer({
      config: config(env, port ?? 0, http),
      client: env.vagon,
      logger: silentLogger,
      createServer: createMcpServer,
      // The burst is one subject: the per-subject cap would answer most of it 429.
      oauth: {
        maxCallsInFlightPerSubject: BURST_CALLS,
        ...(verifiedCacheEntries !== undefined ? { verifiedCacheEntries } : {}),
      },
    });
    servers.push(server);
    return server;
  };
  try {
    const staticServer = await start({ token: STATIC_TOKEN });
    const oauthPort = await freePort();
    const publicUrl = `http://127.0.0.1:${oauthPort}/mcp`;
    const oauth = { issuer: as.issuer, publicUrl, audience: null };
    const oauthServer = await start({ oauth }, oauthPort);
    const accessToken = await mintToken(as.issuer, {
      resource: publicUrl,
      scope: MCP_SCOPES,
      choice: { account: "bench" },
    });
    // The same, checking the signature on every call: what a token's first call costs.
    const uncachedPort = await freePort();
    const uncachedUrl = `http://127.0.0.1:${uncachedPort}/mcp`;
    const uncachedServer = await start({ oauth: { ...oauth, publicUrl: uncachedUrl } }, uncachedPort, 0);
    const uncachedToken = await mintToken(as.issuer, {
      resource: uncachedUrl,
      scope: MCP_SCOPES,
      choice: { account: "bench" },
    });

    const calls = Number(process.env.OAUTH_CALLS ?? 2000);
    const staticMs: number[] = [];
    const oauthMs: number[] = [];
    const uncachedMs: number[] = [];
    // Warm both (connections, JIT, the JWKS) before measuring.
    for (let i = 0; i < 200; i++) {
      await ping(staticServer.url, STATIC_TOKEN, i);
      await ping(oauthServer.url, accessToken, i);
      await ping(uncachedServer.url, uncachedToken, i);
    }
    for (let i = 0; i < calls; i++) {
      // ABBA, so neither mode always goes first.
      if (i % 2 === 0) {
        staticMs.push(await ping(staticServer.url, STATIC_TOKEN, i));
        oauthMs.push(await ping(oauthServer.url, accessToken, i));
        uncachedMs.push(await ping(uncachedServer.url, uncachedToken, i));
      } else {
        uncachedMs.push(await ping(uncachedServer.url, uncachedToken, i));
        oauthMs.push(await ping(oauthServer.url, accessToken, i));
        staticMs.push(await ping(staticServer.url, STATIC_TOKEN, i));
      }
    }
    const staticP50 = median(staticMs);
    const oauthP50 = median(oauthMs);
    const uncachedP50 = median(uncachedMs);
    note(
      `ping p50: static token ${staticP50.toFixed(3)} ms, OAuth JWT ${oauthP50.toFixed(3)} ms, ` +
        `JWT with its signature checked every call ${uncachedP50.toFixed(3)} ms (${calls} each)`,
    );

    // A fresh replica: its start-up fetch, then a burst of one subject's calls all at once.
    const burstPort = await freePort();
    const beforeStart = as.jwksFetches();
    const burstServer = await start(
      { oauth: { ...oauth, publicUrl: `http://127.0.0.1:${burstPort}/mcp` } },
      burstPort,
    );
    const burstToken = await mintToken(as.issuer, {
      resource: `http://127.0.0.1:${burstPort}/mcp`,
      scope: MCP_SCOPES,
      choice: { account: "bench" },
    });
    const burstStartedAt = performance.now();
    await Promise.all(Array.from({ length: BURST_CALLS }, (_, i) => ping(burstServer.url, burstToken, i)));
    const burstSeconds = (performance.now() - burstStartedAt) / 1000;
    const jwksFetches = as.jwksFetches() - beforeStart;
    note(`burst of ${BURST_CALLS} calls in ${burstSeconds.toFixed(2)} s`);

    return [
      valueResult({
        name: "oauth token validation",
        label: `added p50 per call (JWT ${oauthP50.toFixed(3)} ms − static token ${staticP50.toFixed(3)} ms)`,
        value: oauthP50 - staticP50,
        unit: "ms",
        digits: 3,
        comparison: "<=",
        target: ADDED_P50_TARGET_MS,
        details: {
          staticP50Ms: staticP50,
          oauthP50Ms: oauthP50,
          signatureEveryCallP50Ms: uncachedP50,
          calls,
        },
      }),
      valueResult({
        name: "oauth JWKS fetches",
        label: `per replica, start-up plus a ${BURST_CALLS}-call burst`,
        value: jwksFetches,
        unit: "fetches",
        digits: 0,
        comparison: "<=",
        target: 1,
        details: { burstSeconds },
      }),
    ];
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    await as.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const sandbox = await startSandbox();
  const vagon = createVagonClient({
    apiUrl: sandbox.apiUrl,
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
  });
  try {
    for (const result of await benchOAuth({ sandbox, vagon })) print(result.line);
  } finally {
    await vagon.close();
    await sandbox.close();
  }
}
