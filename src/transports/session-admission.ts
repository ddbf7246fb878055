// Who may open an MCP session over HTTP, so no client can evict, freeze or starve another's
// (SPEC §1). Every session belongs to an owner: the principal that opened it (who the
// credentials say the caller is) and the address it came from. Sessions are capped per
// principal and per address as well as in total; at a cap a newcomer may push out only its own
// owner's least recently used idle session, never anyone else's; and opening sessions is
// rate-limited per address. What is over a limit is answered 429 with Retry-After.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** Sessions one principal may hold at once (a static token is one principal for everyone). */
export const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL = 1000;
/** Sessions one remote address may hold at once. */
export const DEFAULT_MAX_SESSIONS_PER_ADDRESS = 200;
/** New sessions one address may open in a burst, then OPENS_PER_SECOND sustained. */
export const DEFAULT_OPEN_BURST = 60;
export const DEFAULT_OPENS_PER_SECOND = 2;

export interface SessionOwner {
  /** Who the credentials say the caller is; never the credential itself. */
  principal: string;
  address: string;
}

/**
 * The principal a request acts for: today a digest of its (verified) bearer token, "anonymous"
 * without one; an OAuth subject once the server verifies access tokens. One place, so a new kind of
 * credential extends it here. The digest is not the token and is never logged.
 */
export function principalOf(req: IncomingMessage): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(
    (Array.isArray(req.headers.authorization) ? req.headers.authorization[0] : req.headers.authorization) ??
      "",
  );
  if (!match?.[1]) return "anonymous";
  return `token:${createHash("sha256").update(match[1]).digest("hex").slice(0, 16)}`;
}

export function sameOwner(a: SessionOwner, b: SessionOwner): boolean {
  return a.principal === b.principal && a.address === b.address;
}

/** Token buckets per address: how many sessions it may open now, refilled over time. */
export function createOpenRateLimit(options: { burst: number; perSecond: number; now: () => number }) {
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  const MAX_TRACKED = 10_000;

  function level(address: string): { tokens: number; atMs: number } {
    const nowMs = options.now();
    const bucket = buckets.get(address) ?? { tokens: options.burst, atMs: nowMs };
    bucket.tokens = Math.min(
      options.burst,
      bucket.tokens + (Math.max(0, nowMs - bucket.atMs) / 1000) * options.perSecond,
    );
    bucket.atMs = nowMs;
    return bucket;
  }

  return {
    /** null when `address` may open a session now (and it is counted); else seconds to wait. */
    take(address: string): number | null {
      const bucket = level(address);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        buckets.delete(address);
        buckets.set(address, bucket);
        // Full buckets carry no information: forget the oldest addresses past the bound.
        while (buckets.size > MAX_TRACKED) {
          const oldest = buckets.keys().next().value as string;
          buckets.delete(oldest);
        }
        return null;
      }
      buckets.set(address, bucket);
      return Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
    },
  };
}
