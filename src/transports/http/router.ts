// Every request passes, in this order: Host check, Origin check (DNS-rebinding protection for
// local servers), routing (OAuth metadata, /healthz, /mcp), authentication (OAuth or the bearer
// token), then at /mcp the method and body checks, OAuth's per-call admission, and the leg that
// serves the era of the request. Refusals are described on stderr only, rate-limited
// (refusal-log.ts): nothing of them reaches any session.
import type { IncomingMessage, ServerResponse } from "node:http";
import { toWebRequest } from "@modelcontextprotocol/node";
import { isLegacyRequest } from "@modelcontextprotocol/server";
import { currentPrincipal } from "../../principal.js";
import type { ResourceServer } from "../oauth/resource-server.js";
import type { RefusalLog } from "../refusal-log.js";
import { answerHealth, lastOnItsConnection } from "./drain.js";
import { hostAllowed, originAllowed, type Site, tokenAccepted } from "./guards.js";
import type { LegacyLeg } from "./legacy.js";
import { headerValue, readJsonBody, sendError } from "./messages.js";
import type { ModernLeg } from "./modern.js";

export interface RouterOptions {
  mcpPath: string;
  healthPath: string;
  site: Site;
  tokenDigest: Buffer | null;
  oauth: ResourceServer | null;
  refusals: RefusalLog;
  maxBodyBytes: number;
  principalOf: (req: IncomingMessage) => string;
  modern: ModernLeg;
  legacy: LegacyLeg;
  isDraining: () => boolean;
  /** Counts an MCP request as in flight until its response closes (drain waits for it). */
  track: (res: ServerResponse) => void;
}

export function createRouter(
  options: RouterOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const {
    mcpPath,
    healthPath,
    site,
    tokenDigest,
    oauth,
    refusals,
    maxBodyBytes,
    principalOf,
    modern,
    legacy,
  } = options;

  async function handleMcp(req: IncomingMessage, res: ServerResponse) {
    let body: unknown;
    if (req.method === "POST") {
      const read = await readJsonBody(req, res, maxBodyBytes);
      if (!read) return;
      body = read.body;
    } else if (req.method !== "GET" && req.method !== "DELETE") {
      sendError(res, 405, "Method not allowed; MCP uses POST, GET and DELETE.", {
        allow: "POST, GET, DELETE",
      });
      return;
    }
    // OAuth: a call without its scope (403) or past its subject's cap (429) goes no further.
    const principal = currentPrincipal();
    if (oauth && principal && !oauth.admit(principal, req, body, res)) return;
    if (req.method === "POST" && !(await isLegacyRequest(await toWebRequest(req, body), body))) {
      await modern.serve(req, res, body, principalOf(req));
      return;
    }
    await legacy.handle(req, res, body);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse) {
    if (!hostAllowed(site, req.headers.host)) {
      refusals.refused("foreign Host header", req.headers.host ?? null);
      sendError(res, 403, "Forbidden: Host header not allowed.");
      return;
    }
    if (!originAllowed(site, headerValue(req.headers.origin))) {
      refusals.refused("foreign Origin", headerValue(req.headers.origin) ?? null);
      sendError(res, 403, "Forbidden: Origin not allowed.");
      return;
    }
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (oauth?.serveMetadata(req, res, pathname)) return;
    if (pathname === healthPath && (req.method === "GET" || req.method === "HEAD")) {
      answerHealth(req, res, options.isDraining());
      return;
    }
    if (pathname !== mcpPath) {
      sendError(res, 404, `Not found; the MCP endpoint is ${mcpPath}.`);
      return;
    }
    const principal = oauth ? await oauth.authenticate(req, res) : null;
    if (oauth && !principal) return;
    if (!tokenAccepted(tokenDigest, headerValue(req.headers.authorization))) {
      const error = req.headers.authorization === undefined ? "" : ', error="invalid_token"';
      refusals.refused(req.headers.authorization === undefined ? "no bearer token" : "wrong bearer token");
      sendError(res, 401, "Unauthorized: send Authorization: Bearer <VAGON_MCP_HTTP_TOKEN>.", {
        "www-authenticate": `Bearer realm="vagon-files-mcp"${error}`,
      });
      return;
    }
    // Routed here before the balancer saw the listener close: served, and the connection retired.
    if (options.isDraining()) lastOnItsConnection(res);
    options.track(res);
    // Tell nginx-style proxies not to buffer the SSE streams, whatever their configuration says.
    res.setHeader("x-accel-buffering", "no");
    // With OAuth everything the request starts runs as its principal (src/principal.ts).
    await (oauth && principal ? oauth.run(principal, () => handleMcp(req, res)) : handleMcp(req, res));
  };
}
