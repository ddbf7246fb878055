// Which scope each MCP request needs (SPEC §6). Reading needs files:read, creating needs
// files:write, deleting and aborting need files:delete; the handshake, ping and the lists need
// a valid token but no scope. Anything not named here needs files:read: a method or tool added
// later is never free by omission.
import { TOOLS } from "../../mcp/tools/index.js";

export const SCOPES = ["files:read", "files:write", "files:delete"] as const;
export type Scope = (typeof SCOPES)[number];

/** Mutating tools that remove or abort something; every other mutating tool creates. */
const DELETING_TOOLS = new Set(["delete_file", "delete_files", "cancel_download"]);

const TOOL_SCOPES = new Map<string, Scope>(
  TOOLS.map((tool) => [
    tool.name,
    !tool.mutating ? "files:read" : DELETING_TOOLS.has(tool.name) ? "files:delete" : "files:write",
  ]),
);

/** Mutating tools, whose calls are logged with who made them. */
export function isMutatingTool(name: string): boolean {
  const scope = TOOL_SCOPES.get(name);
  return scope === "files:write" || scope === "files:delete";
}

export function toolScope(name: string): Scope {
  return TOOL_SCOPES.get(name) ?? "files:read";
}

const SCOPE_FREE_METHODS = new Set([
  "initialize",
  "server/discover",
  "ping",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "prompts/list",
  "prompts/get",
  "logging/setLevel",
]);

interface JsonRpcLike {
  method?: unknown;
  params?: { name?: unknown };
}

/** The scopes one JSON-RPC message needs; responses and notifications need none. */
export function messageScopes(message: unknown): Scope[] {
  const { method, params } = (message ?? {}) as JsonRpcLike;
  if (typeof method !== "string") return [];
  if (method.startsWith("notifications/") || SCOPE_FREE_METHODS.has(method)) return [];
  if (method === "tools/call") return [toolScope(typeof params?.name === "string" ? params.name : "")];
  return ["files:read"];
}

/**
 * Null when `granted` covers every scope the request body (one message or a batch) needs;
 * otherwise the scopes to ask for: every one the body needs plus those already granted, so the
 * client's stepped-up token keeps what the user granted before (a token for files:delete alone
 * would need another step-up for the next listing).
 */
export function scopeChallenge(body: unknown, granted: ReadonlySet<string>): Scope[] | null {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const needed = new Set(messages.flatMap(messageScopes));
  if ([...needed].every((scope) => granted.has(scope))) return null;
  return SCOPES.filter((scope) => needed.has(scope) || granted.has(scope));
}
