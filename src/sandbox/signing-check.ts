// Server side of auth.md: verifies `Authorization: HMAC {api_key}:{signature}:{nonce}:{timestamp}`.
// Written against the doc with node:crypto, independently of the client's signer, so a bug
// in one is caught by the other.
import { createHmac, timingSafeEqual } from "node:crypto";

/** A timestamp further than this from the server clock is refused. */
export const TIMESTAMP_WINDOW_MS = 5 * 60 * 1000;
/** Nonces are remembered for twice the window: any replay still inside the window is caught. */
export const NONCE_RETENTION_MS = 2 * TIMESTAMP_WINDOW_MS;

const HEADER_PATTERN = /^HMAC ([^:\s]+):([^:\s]+):([^:\s]+):([^:\s]+)$/;

export interface SignedRequest {
  method: string;
  /** Path as sent, base path included, query excluded. */
  path: string;
  authorization: string | undefined;
  body: Buffer;
}

export type SignatureVerdict = { ok: true } | { ok: false; message: string };

export function computeSignature(
  apiSecret: string,
  parts: { apiKey: string; method: string; path: string; timestamp: string; nonce: string; body: Buffer },
): string {
  const hmac = createHmac("sha256", apiSecret);
  hmac.update(`${parts.apiKey}${parts.method.toUpperCase()}${parts.path}${parts.timestamp}${parts.nonce}`);
  hmac.update(parts.body);
  return hmac.digest("hex");
}

export class SignatureChecker {
  private readonly seenNonces = new Map<string, number>();
  private nextPruneMs = 0;

  constructor(
    private readonly apiKey: string,
    private readonly apiSecret: string,
    private readonly clock: () => number,
  ) {}

  verify(request: SignedRequest): SignatureVerdict {
    const header = request.authorization?.trim();
    if (!header) return { ok: false, message: "Missing Authorization header" };
    const match = HEADER_PATTERN.exec(header);
    if (!match) {
      return {
        ok: false,
        message: "Malformed Authorization header: expected HMAC {api_key}:{signature}:{nonce}:{timestamp}",
      };
    }
    const [, apiKey = "", signature = "", nonce = "", timestamp = ""] = match;
    if (apiKey !== this.apiKey) return { ok: false, message: "Invalid API key" };
    if (!/^\d{1,16}$/.test(timestamp))
      return { ok: false, message: "Malformed timestamp: expected milliseconds since the epoch" };

    const expected = computeSignature(this.apiSecret, {
      apiKey,
      method: request.method,
      path: request.path,
      timestamp,
      nonce,
      body: request.body,
    });
    const given = Buffer.from(signature, "utf8");
    const wanted = Buffer.from(expected, "utf8");
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return { ok: false, message: "Invalid signature" };
    }

    const now = this.clock();
    if (Math.abs(now - Number(timestamp)) > TIMESTAMP_WINDOW_MS) {
      return { ok: false, message: "Timestamp outside the allowed window" };
    }
    this.prune(now);
    if (this.seenNonces.has(nonce)) return { ok: false, message: "Nonce already used" };
    // Only a request that passed every other check burns its nonce.
    this.seenNonces.set(nonce, now + NONCE_RETENTION_MS);
    return { ok: true };
  }

  private prune(now: number): void {
    if (now < this.nextPruneMs) return;
    this.nextPruneMs = now + 30_000;
    for (const [nonce, expiresAtMs] of this.seenNonces) {
      if (expiresAtMs <= now) this.seenNonces.delete(nonce);
    }
  }
}
