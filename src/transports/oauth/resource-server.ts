// The HTTP transport's OAuth 2.1 resource server (SPEC §6), as one seam for http.ts:
//   serveMetadata()  the Protected Resource Metadata routes, which need no token;
//   authenticate()   a request → its principal, or a 401 pointing at the metadata (before any
//                    MCP processing; the token is never echoed nor logged);
//   admit()          a parsed JSON-RPC body → 403 insufficient_scope naming the scopes to ask
//                    for, or 429 past the subject's cap of calls in flight; logs each mutating
//                    call once with who made it; then runs the request as that principal.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { OAuthConfig } from "../../config.js";
import type { Logger } from "../../log.js";
import { type Principal, principalKey, withPrincipal } from "../../principal.js";
import {
  discoverIssuer,
  protectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from "./metadata.js";
import { isMutatingTool, scopeChallenge } from "./scopes.js";
import { createTokenVerifier, type TokenVerifier } from "./verify.js";

/** One subject's requests in flight past this answer 429, so one user can't starve the rest. */
export const DEFAULT_MAX_CALLS_IN_FLIGHT_PER_SUBJECT = 16;

/** Argument names that say what a mutating call acts on (logged; content and tokens never). */
const TARGET_ARGUMENTS = [
  "file_id",
  "file_ids",
  "download_id",
  "location",
  "machine_id",
  "parent_id",
  "name",
  "file_name",
  "kind",
  "modified_before",
  "modified_after",
  "min_size",
  "max_size",
  "confirm",
];

export interface ResourceServerOptions {
  maxCallsInFlightPerSubject?: number;
  /** Told of each refused request (the transport's rate-limited refusal log); never the token. */
  refused?: (reason: string) => void;
  /** The clock tokens are checked against (tests move it instead of waiting). */
  now?: () => number;
  /** Verified tokens remembered until they expire (default 10,000; 0: check every call in full). */
  verifiedCacheEntries?: number;
}

export interface ResourceServer {
  readonly metadataUrl: string;
  readonly verifier: TokenVerifier;
  /** Answers a metadata request; false when `pathname` is not one. */
  serveMetadata(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
  /** The caller of an MCP request, or null once a 401 has been sent. */
  authenticate(req: IncomingMessage, res: ServerResponse): Promise<Principal | null>;
  /**
   * Checks what the parsed body asks for against the principal: false once a 403 or 429 has been
   * sent. Otherwise counts the request in flight until its response closes.
   */
  admit(principal: Principal, req: IncomingMessage, body: unknown, res: ServerResponse): boolean;
  /** Runs the request's handling (and everything it starts) as `principal`. */
  run<T>(principal: Principal, work: () => T): T;
}

/** Reads the issuer's metadata and JWKS (start-up refuses when it can't) and builds the seam. */
export async function createResourceServer(
  oauth: OAuthConfig,
  mcpPath: string,
  logger: Logger,
  options: ResourceServerOptions = {},
): Promise<ResourceServer> {
  const issuer = await discoverIssuer(oauth.issuer);
  const verifier = createTokenVerifier(oauth, issuer.jwksUri, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.verifiedCacheEntries !== undefined
      ? { verifiedCacheEntries: options.verifiedCacheEntries }
      : {}),
  });
  try {
    await verifier.prefetch();
  } catch (error) {
    throw new Error(
      `The OAuth issuer's metadata (${issuer.metadataUrl}) names jwks_uri ${issuer.jwksUri}, but its keys could not be read: ${error instanceof Error ? error.message : String(error)}. Check the issuer and that this machine can reach it.`,
    );
  }
  logger.info(`OAuth: accepting access tokens from ${oauth.issuer} for ${oauth.publicUrl}`);
  return buildResourceServer(oauth, mcpPath, verifier, logger, options);
}

export function buildResourceServer(
  oauth: OAuthConfig,
  mcpPath: string,
  verifier: TokenVerifier,
  logger: Logger,
  options: ResourceServerOptions = {},
): ResourceServer {
  const metadataUrl = protectedResourceMetadataUrl(oauth.publicUrl);
  const calls = createCallsInFlight(
    options.maxCallsInFlightPerSubject ?? DEFAULT_MAX_CALLS_IN_FLIGHT_PER_SUBJECT,
    options.refused,
  );
  return {
    metadataUrl,
    verifier,
    serveMetadata: metadataRoutes(oauth, mcpPath),
    authenticate: (req, res) => authenticateBearer(req, res, verifier, metadataUrl, options.refused),
    admit(principal, req, body, res) {
      if (refusedForScope(principal, body, metadataUrl, res)) return false;
      if (req.method !== "POST") return true;
      const owner = principalKey(principal);
      const session = typeof req.headers["mcp-session-id"] === "string" ? req.headers["mcp-session-id"] : "";
      const messages: unknown[] = Array.isArray(body) ? body : [body];
      // A cancelled call stops counting at once: its response may never come.
      calls.cancel(owner, session, cancelledRequestIds(messages));
      const requestIds = requestIdsOf(messages);
      if (requestIds.length === 0) return true;
      if (!calls.admit(owner, session, requestIds, res)) return false;
      logMutatingCalls(logger, principal, body);
      return true;
    },
    run: (principal, work) => withPrincipal(principal, work),
  };
}

/** A 401 or 403 JSON-RPC error answer with its WWW-Authenticate challenge. */
function refuse(res: ServerResponse, status: number, challenge: string, message: string) {
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "www-authenticate": `Bearer ${challenge}`,
  });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message }, id: null }));
}

/** The Protected Resource Metadata routes: answers one, or false when `pathname` is not one. */
function metadataRoutes(oauth: OAuthConfig, mcpPath: string): ResourceServer["serveMetadata"] {
  const metadataPaths = protectedResourceMetadataPaths(oauth.publicUrl, mcpPath);
  const metadataBody = JSON.stringify(protectedResourceMetadata(oauth));
  return (req, res, pathname) => {
    if (!metadataPaths.has(pathname)) return false;
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "access-control-allow-origin": "*", "access-control-allow-methods": "GET" });
      res.end();
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET" });
      res.end();
      return true;
    }
    res.writeHead(200, {
      "content-type": "application/json",
      "cache-control": "public, max-age=3600",
      // Browser-based clients (MCP Inspector) read it cross-origin; it holds nothing secret.
      "access-control-allow-origin": "*",
    });
    res.end(req.method === "HEAD" ? undefined : metadataBody);
    return true;
  };
}

/** The request's bearer token → its principal, or null once a 401 pointing at the metadata is sent. */
async function authenticateBearer(
  req: IncomingMessage,
  res: ServerResponse,
  verifier: TokenVerifier,
  metadataUrl: string,
  refused: ((reason: string) => void) | undefined,
): Promise<Principal | null> {
  const authorization = req.headers.authorization;
  const pointer = `resource_metadata="${metadataUrl}"`;
  if (authorization === undefined) {
    refused?.("no bearer token");
    refuse(res, 401, pointer, `Unauthorized: this server needs an OAuth access token (see ${metadataUrl}).`);
    return null;
  }
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
  const verdict = match?.[1] ? await verifier.verify(match[1]) : { ok: false as const, reason: "malformed" };
  if (!verdict.ok) {
    refused?.(`access token refused (${verdict.reason})`);
    refuse(
      res,
      401,
      `error="invalid_token", error_description="The access token is missing, malformed, expired or not for this server", ${pointer}`,
      "Unauthorized: the access token is not valid for this server; get a new one.",
    );
    return null;
  }
  return verdict.principal;
}

/** True once a 403 insufficient_scope naming the scopes to ask for has been sent. */
function refusedForScope(
  principal: Principal,
  body: unknown,
  metadataUrl: string,
  res: ServerResponse,
): boolean {
  const challenge = scopeChallenge(body, principal.scopes);
  if (!challenge) return false;
  refuse(
    res,
    403,
    `error="insufficient_scope", scope="${challenge.join(" ")}", resource_metadata="${metadataUrl}"`,
    `Forbidden: this call needs the scope ${challenge.filter((scope) => !principal.scopes.has(scope)).join(" and ")}, which the access token lacks; nothing was done. Authorize again with ${challenge.join(" ")}.`,
  );
  return true;
}

interface CallsInFlight {
  /** Stops counting these calls of the owner's session now (their responses may never come). */
  cancel(owner: string, session: string, requestIds: unknown[]): void;
  /** Counts the calls until `res` closes, or answers 429 (false) past the owner's cap. */
  admit(owner: string, session: string, requestIds: unknown[], res: ServerResponse): boolean;
}

/** Requests in flight per principal, each released when its response closes or it is cancelled. */
function createCallsInFlight(
  maxInFlight: number,
  refused: ((reason: string) => void) | undefined,
): CallsInFlight {
  const inFlight = new Map<string, number>();
  const cancellable = new Map<string, () => void>();
  return {
    cancel(owner, session, requestIds) {
      for (const requestId of requestIds) cancellable.get(callKey(owner, session, requestId))?.();
    },
    admit(owner, session, requestIds, res) {
      const count = inFlight.get(owner) ?? 0;
      if (count + requestIds.length > maxInFlight) {
        refused?.(`${maxInFlight} calls of one subject already in flight`);
        refuseTooManyCalls(res, maxInFlight);
        return false;
      }
      inFlight.set(owner, count + requestIds.length);
      const releases = requestIds.map((requestId) => {
        const key = callKey(owner, session, requestId);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          if (cancellable.get(key) === release) cancellable.delete(key);
          const left = (inFlight.get(owner) ?? 1) - 1;
          if (left <= 0) inFlight.delete(owner);
          else inFlight.set(owner, left);
        };
        // Only the same principal on the same session can cancel it (request ids are per session).
        if (!cancellable.has(key)) cancellable.set(key, release);
        return release;
      });
      res.once("close", () => {
        for (const release of releases) release();
      });
      return true;
    },
  };
}

function refuseTooManyCalls(res: ServerResponse, maxInFlight: number) {
  res.writeHead(429, {
    "content-type": "application/json",
    "retry-after": "1",
    "cache-control": "no-store",
  });
  res.end(
    JSON.stringify({
      jsonrpc: "2.0",
      error: {
        code: -32000,
        message: `Too many calls in flight (${maxInFlight}) for this user; wait for some to finish, then try again.`,
      },
      id: null,
    }),
  );
}

function callKey(owner: string, session: string, requestId: unknown): string {
  return JSON.stringify([owner, session, requestId]);
}

/** The ids of the requests among `messages` (a notification or a response isn't a call). */
function requestIdsOf(messages: unknown[]): unknown[] {
  return messages.flatMap((message) => {
    const { method, id } = (message ?? {}) as { method?: unknown; id?: unknown };
    return typeof method === "string" && (typeof id === "string" || typeof id === "number") ? [id] : [];
  });
}

function cancelledRequestIds(messages: unknown[]): unknown[] {
  return messages.flatMap((message) => {
    const { method, params } = (message ?? {}) as { method?: unknown; params?: { requestId?: unknown } };
    return method === "notifications/cancelled" && params?.requestId !== undefined ? [params.requestId] : [];
  });
}

/** A target as logged: up to 20 ids of a list (then how many more), strings up to 200 characters. */
function boundedForLog(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kept = value.slice(0, 20).map(boundedForLog);
    return value.length > 20 ? [...kept, `+${value.length - 20} more`] : kept;
  }
  if (typeof value === "string" && value.length > 200) return `${value.slice(0, 200)}…`;
  if (value !== null && typeof value === "object") return "[object]";
  return value;
}

function logMutatingCalls(logger: Logger, principal: Principal, body: unknown): void {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  for (const message of messages) {
    const { method, params } = (message ?? {}) as {
      method?: unknown;
      params?: { name?: unknown; arguments?: Record<string, unknown> };
    };
    if (method !== "tools/call" || typeof params?.name !== "string" || !isMutatingTool(params.name)) continue;
    const target: Record<string, unknown> = {};
    for (const name of TARGET_ARGUMENTS) {
      const value = params.arguments?.[name];
      if (value !== undefined) target[name] = boundedForLog(value);
    }
    logger.info(`${params.name} called by ${principal.subject}`, {
      subject: principal.subject,
      client_id: principal.clientId,
      tool: params.name,
      target,
    });
  }
}
